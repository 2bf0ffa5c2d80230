// Writes single Chrome trace events into the `traceEvents` array.
//
// Invariants:
// - Events are separated by ",\n" (one event per line, no other whitespace): compact, and
//   still diffable and greppable.
// - `ts` is microseconds from `startNs` (the trace's start, also for a window cut from it) with
//   nanosecond precision; no event carries a negative or non-finite number.
// - Names are written from per-StringID caches of escaped JSON; no per-event String is built
//   except for log messages, which are not interned.
// - Repeated pieces are copied, not formatted again: a track's `,"pid":P,"tid":T,"ts":` is
//   built once per track (`trackFields`), and the text of the last timestamp written is kept
//   for the next event at the same time (a state change writes several at one instant).

import TraceModel

enum ChromeProcess {
    static let tasks: UInt8 = 1
    static let threads: UInt8 = 2
    static let counters: UInt8 = 3
    static let actors: UInt8 = 4
}

/// What a flow arrow shows: a wake-up (waker to woken task) or an actor hand-off (the hold that
/// released the actor to the hold of the task that was waiting for it).
enum ChromeFlowKind {
    case wake
    case handOff
}

struct ChromeEventWriter {
    let startNs: Int64
    let withStacks: Bool
    var strings = JSONStringCache()
    /// `"blocked: <reason>"` per reason StringID raw value; empty = not built yet.
    private var blockedNames: [[UInt8]] = []
    var stackTree = StackFrameTree()
    /// The escaped name of the slow request's slice (SliceFrame.Kind.request).
    var requestSliceName: [UInt8] = []
    private var wroteEvent = false
    /// The last timestamp written (absolute ns) and its text; nil before the first.
    private var cachedTimeNs: Int64?
    private var cachedTime = InlineBytes()
    /// Where events are formatted; the exporter drains it into its OutputBuffer.
    var out = StagingBuffer()

    init(startNs: Int64, withStacks: Bool) {
        self.startNs = startNs
        self.withStacks = withStacks
    }

    @inline(__always)
    mutating func open() {
        if wroteEvent { out.write(",\n") } else { wroteEvent = true }
    }

    /// `,"pid":P,"tid":T,"ts":`: what every event of a track carries before its timestamp.
    static func trackFields(pid: UInt8, tid: UInt64) -> InlineBytes {
        var fields = InlineBytes()
        fields.append(",\"pid\":")
        fields.append(uint: UInt64(pid))
        fields.append(",\"tid\":")
        fields.append(uint: tid)
        fields.append(",\"ts\":")
        return fields
    }

    /// `ts`'s value: microseconds since the window start, copied when the time is the last one.
    @inline(__always)
    private mutating func writeTimestamp(_ timeNs: Int64) {
        if cachedTimeNs == timeNs {
            out.write(cachedTime)
            return
        }
        let start = out.count
        out.write(microsecondsFromNs: timeNs - startNs)
        cachedTime = out.staged(since: start)
        cachedTimeNs = timeNs
    }

    @inline(__always)
    private mutating func writeTrack(_ pid: UInt8, _ tid: UInt64, _ timeNs: Int64) {
        out.write(",\"pid\":")
        out.write(byte: pid &+ 48)
        out.write(",\"tid\":")
        out.write(uint: tid)
        out.write(",\"ts\":")
        writeTimestamp(timeNs)
    }

    /// `,\n{"ph":"E","pid":P,"tid":T,"ts":X}`. Every slice event follows the process metadata
    /// `begin` writes, so its separator is written unconditionally.
    @inline(__always)
    mutating func writeEnd(track: InlineBytes, timeNs: Int64) {
        out.write(",\n{\"ph\":\"E\"")
        out.write(track)
        writeTimestamp(timeNs)
        out.write(byte: UInt8(ascii: "}"))
    }

    mutating func writeBegin(track: InlineBytes, timeNs: Int64, frame: SliceFrame, tables: TraceTables) {
        out.write(",\n{\"ph\":\"B\"")
        out.write(track)
        writeTimestamp(timeNs)
        if frame.kind == .state && (frame.stack.isNone || !withStacks) {
            // The common case in one append: a state slice without a stack.
            switch frame.id {
            case 0: out.write(",\"name\":\"running\"}")
            case 1: out.write(",\"name\":\"runnable\"}")
            case 2:
                out.write(",\"name\":")
                writeBlockedName(frame.name, tables: tables)
                out.write(byte: UInt8(ascii: "}"))
            case 3: out.write(",\"name\":\"syscall\"}")
            default: out.write(",\"name\":\"ended\"}")
            }
            return
        }
        out.write(",\"name\":")
        switch frame.kind {
        case .region:
            strings.write(frame.name, tables: tables, to: &out)
        case .task:
            if frame.name.isEmpty { out.write("\"task\"") } else { strings.write(frame.name, tables: tables, to: &out) }
        case .request:
            requestSliceName.withUnsafeBufferPointer { out.write(bytes: $0) }
            out.write(",\"cat\":\"request\"")
        case .state:
            switch frame.id {
            case 0: out.write("\"running\"")
            case 1: out.write("\"runnable\"")
            case 2: writeBlockedName(frame.name, tables: tables)
            case 3: out.write("\"syscall\"")
            default: out.write("\"ended\"")
            }
        }
        if withStacks && !frame.stack.isNone {
            let node = stackTree.node(for: frame.stack, tables: tables)
            if node != 0 {
                out.write(",\"sf\":")
                out.write(uint: UInt64(node))
            }
        }
        if frame.kind == .task || frame.kind == .request {
            out.write(",\"args\":{\"task\":")
            out.write(uint: frame.id)
            out.write(byte: UInt8(ascii: "}"))
        }
        out.write(byte: UInt8(ascii: "}"))
    }

    private mutating func writeBlockedName(_ reason: StringID, tables: TraceTables) {
        let i = Int(reason.raw)
        if i >= blockedNames.count {
            blockedNames.append(contentsOf: repeatElement([], count: i + 1 - blockedNames.count))
        }
        if blockedNames[i].isEmpty {
            let text = tables.string(reason)
            blockedNames[i] = JSONText.escaped(text.isEmpty ? "blocked" : "blocked: " + text)
        }
        blockedNames[i].withUnsafeBufferPointer { out.write(bytes: $0) }
    }

    mutating func writeFlowStart(id: UInt64, track: InlineBytes, timeNs: Int64, kind: ChromeFlowKind = .wake) {
        open()
        out.write("{\"ph\":\"s\",\"id\":")
        out.write(uint: id)
        out.write(track)
        writeTimestamp(timeNs)
        writeFlowName(kind)
    }

    mutating func writeFlowEnd(id: UInt64, track: InlineBytes, timeNs: Int64, kind: ChromeFlowKind = .wake) {
        open()
        out.write("{\"ph\":\"f\",\"bp\":\"e\",\"id\":")
        out.write(uint: id)
        out.write(track)
        writeTimestamp(timeNs)
        writeFlowName(kind)
    }

    @inline(__always)
    private mutating func writeFlowName(_ kind: ChromeFlowKind) {
        switch kind {
        case .wake: out.write(",\"name\":\"wake\",\"cat\":\"wake\"}")
        case .handOff: out.write(",\"name\":\"hand-off\",\"cat\":\"actor\"}")
        }
    }

    /// A hold's slice on an actor track: named like the holder's task track (its name, or
    /// "task <id>"), with the task id in args.
    mutating func writeHoldBegin(track: InlineBytes, timeNs: Int64, task: TaskID, name: StringID, tables: TraceTables) {
        out.write(",\n{\"ph\":\"B\"")
        out.write(track)
        writeTimestamp(timeNs)
        out.write(",\"name\":")
        if name.isEmpty || !strings.writeNonEmpty(name, tables: tables, to: &out) {
            out.write("\"task ")
            out.write(uint: task.raw)
            out.write(byte: UInt8(ascii: "\""))
        }
        out.write(",\"args\":{\"task\":")
        out.write(uint: task.raw)
        out.write("}}")
    }

    /// A thread-scoped instant (`tid` given) or a global one.
    mutating func writeInstant(pid: UInt8, tid: UInt64, timeNs: Int64, name: StringID, message: String,
                               tables: TraceTables) {
        open()
        out.write("{\"ph\":\"i\",\"s\":\"t\"")
        writeTrack(pid, tid, timeNs)
        out.write(",\"name\":")
        if name.isEmpty { out.write("\"log\"") } else { strings.write(name, tables: tables, to: &out) }
        if !message.isEmpty {
            out.write(",\"args\":{\"message\":")
            out.writeJSONString(message)
            out.write(byte: UInt8(ascii: "}"))
        }
        out.write(byte: UInt8(ascii: "}"))
    }

    /// The slow request's trigger: a global instant (on the request task's track in viewers that
    /// place instants), named by the trigger's text.
    mutating func writeTriggerInstant(task: TaskID, timeNs: Int64, name: String) {
        open()
        out.write("{\"ph\":\"i\",\"s\":\"g\"")
        writeTrack(ChromeProcess.tasks, task.chromeTID, timeNs)
        out.write(",\"name\":")
        out.writeJSONString(name.isEmpty ? "trigger" : name)
        out.write(",\"cat\":\"request\"}")
    }

    mutating func writeCounter(name: StringID, value: Double, timeNs: Int64, tables: TraceTables) {
        open()
        out.write("{\"ph\":\"C\",\"pid\":3,\"ts\":")
        writeTimestamp(timeNs)
        out.write(",\"name\":")
        if name.isEmpty { out.write("\"counter\"") } else { strings.write(name, tables: tables, to: &out) }
        out.write(",\"args\":{\"value\":")
        out.writeJSONNumber(value)
        out.write("}}")
    }

    mutating func writeProcessMetadata(pid: UInt8, name: StaticString) {
        open()
        out.write("{\"ph\":\"M\",\"pid\":")
        out.write(byte: pid &+ 48)
        out.write(",\"name\":\"process_name\",\"args\":{\"name\":\"")
        out.write(name)
        out.write("\"}},\n{\"ph\":\"M\",\"pid\":")
        out.write(byte: pid &+ 48)
        out.write(",\"name\":\"process_sort_index\",\"args\":{\"sort_index\":")
        out.write(byte: pid &+ 48)
        out.write("}}")
    }

    /// `thread_name` for a track (plain text; escaped here).
    mutating func writeThreadName(pid: UInt8, tid: UInt64, name: String) {
        open()
        out.write("{\"ph\":\"M\",\"pid\":")
        out.write(byte: pid &+ 48)
        out.write(",\"tid\":")
        out.write(uint: tid)
        out.write(",\"name\":\"thread_name\",\"args\":{\"name\":")
        out.writeJSONString(name)
        out.write("}}")
    }

    /// `thread_name` for a task's track: its name, or "task <id>" when it has none.
    mutating func writeTaskName(tid: UInt64, name: StringID, tables: TraceTables) {
        open()
        out.write("{\"ph\":\"M\",\"pid\":1,\"tid\":")
        out.write(uint: tid)
        out.write(",\"name\":\"thread_name\",\"args\":{\"name\":")
        if name.isEmpty || !strings.writeNonEmpty(name, tables: tables, to: &out) {
            out.write("\"task ")
            out.write(uint: tid)
            out.write(byte: UInt8(ascii: "\""))
        }
        out.write("}}")
    }

    mutating func writeThreadSortIndex(pid: UInt8, tid: UInt64) {
        open()
        out.write("{\"ph\":\"M\",\"pid\":")
        out.write(byte: pid &+ 48)
        out.write(",\"tid\":")
        out.write(uint: tid)
        out.write(",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":")
        out.write(uint: tid)
        out.write("}}")
    }
}
