// Writes single Chrome trace events into the `traceEvents` array.
//
// Invariants:
// - Events are separated by ",\n" (one event per line, no other whitespace): compact, and
//   still diffable and greppable.
// - `ts` is microseconds relative to the window start with nanosecond precision; no event
//   carries a negative or non-finite number.
// - Names are written from per-StringID caches of escaped JSON; no per-event String is built
//   except for log messages, which are not interned.

import TraceModel

enum ChromeProcess {
    static let tasks: UInt8 = 1
    static let threads: UInt8 = 2
    static let counters: UInt8 = 3
}

struct ChromeEventWriter {
    let startNs: Int64
    let withStacks: Bool
    var strings = JSONStringCache()
    /// `"blocked: <reason>"` per reason StringID raw value; empty = not built yet.
    private var blockedNames: [[UInt8]] = []
    var stackTree = StackFrameTree()
    private var wroteEvent = false

    init(startNs: Int64, withStacks: Bool) {
        self.startNs = startNs
        self.withStacks = withStacks
    }

    @inline(__always)
    mutating func open(_ output: inout OutputBuffer) {
        if wroteEvent { output.write(",\n") } else { wroteEvent = true }
    }

    @inline(__always)
    private func writeTrack(_ pid: UInt8, _ tid: UInt64, _ timeNs: Int64, _ output: inout OutputBuffer) {
        output.write(",\"pid\":")
        output.write(byte: pid &+ 48)
        output.write(",\"tid\":")
        output.write(uint: tid)
        output.write(",\"ts\":")
        output.write(microsecondsFromNs: timeNs - startNs)
    }

    mutating func writeEnd(pid: UInt8, tid: UInt64, timeNs: Int64, output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"E\"")
        writeTrack(pid, tid, timeNs, &output)
        output.write(byte: UInt8(ascii: "}"))
    }

    mutating func writeBegin(pid: UInt8, tid: UInt64, timeNs: Int64, frame: SliceFrame, tables: TraceTables,
                             output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"B\"")
        writeTrack(pid, tid, timeNs, &output)
        output.write(",\"name\":")
        switch frame.kind {
        case .region:
            strings.write(frame.name, tables: tables, to: &output)
        case .task:
            if frame.name.isEmpty { output.write("\"task\"") } else { strings.write(frame.name, tables: tables, to: &output) }
        case .state:
            switch frame.id {
            case 0: output.write("\"running\"")
            case 1: output.write("\"runnable\"")
            case 2: writeBlockedName(frame.name, tables: tables, output: &output)
            case 3: output.write("\"syscall\"")
            default: output.write("\"ended\"")
            }
        }
        if withStacks && !frame.stack.isNone {
            let node = stackTree.node(for: frame.stack, tables: tables)
            if node != 0 {
                output.write(",\"sf\":")
                output.write(uint: UInt64(node))
            }
        }
        if frame.kind == .task {
            output.write(",\"args\":{\"task\":")
            output.write(uint: frame.id)
            output.write(byte: UInt8(ascii: "}"))
        }
        output.write(byte: UInt8(ascii: "}"))
    }

    private mutating func writeBlockedName(_ reason: StringID, tables: TraceTables, output: inout OutputBuffer) {
        let i = Int(reason.raw)
        if i >= blockedNames.count {
            blockedNames.append(contentsOf: repeatElement([], count: i + 1 - blockedNames.count))
        }
        if blockedNames[i].isEmpty {
            let text = tables.string(reason)
            blockedNames[i] = JSONText.escaped(text.isEmpty ? "blocked" : "blocked: " + text)
        }
        blockedNames[i].withUnsafeBufferPointer { output.write(bytes: $0) }
    }

    mutating func writeFlowStart(id: UInt64, pid: UInt8, tid: UInt64, timeNs: Int64, output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"s\",\"id\":")
        output.write(uint: id)
        writeTrack(pid, tid, timeNs, &output)
        output.write(",\"name\":\"wake\",\"cat\":\"wake\"}")
    }

    mutating func writeFlowEnd(id: UInt64, pid: UInt8, tid: UInt64, timeNs: Int64, output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"f\",\"bp\":\"e\",\"id\":")
        output.write(uint: id)
        writeTrack(pid, tid, timeNs, &output)
        output.write(",\"name\":\"wake\",\"cat\":\"wake\"}")
    }

    /// A thread-scoped instant (`tid` given) or a global one.
    mutating func writeInstant(pid: UInt8, tid: UInt64, timeNs: Int64, name: StringID, message: String,
                               tables: TraceTables, output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"i\",\"s\":\"t\"")
        writeTrack(pid, tid, timeNs, &output)
        output.write(",\"name\":")
        if name.isEmpty { output.write("\"log\"") } else { strings.write(name, tables: tables, to: &output) }
        if !message.isEmpty {
            output.write(",\"args\":{\"message\":")
            output.writeJSONString(message)
            output.write(byte: UInt8(ascii: "}"))
        }
        output.write(byte: UInt8(ascii: "}"))
    }

    mutating func writeCounter(name: StringID, value: Double, timeNs: Int64, tables: TraceTables,
                               output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"C\",\"pid\":3,\"ts\":")
        output.write(microsecondsFromNs: timeNs - startNs)
        output.write(",\"name\":")
        if name.isEmpty { output.write("\"counter\"") } else { strings.write(name, tables: tables, to: &output) }
        output.write(",\"args\":{\"value\":")
        output.writeJSONNumber(value)
        output.write("}}")
    }

    mutating func writeProcessMetadata(pid: UInt8, name: StaticString, output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"M\",\"pid\":")
        output.write(byte: pid &+ 48)
        output.write(",\"name\":\"process_name\",\"args\":{\"name\":\"")
        output.write(name)
        output.write("\"}},\n{\"ph\":\"M\",\"pid\":")
        output.write(byte: pid &+ 48)
        output.write(",\"name\":\"process_sort_index\",\"args\":{\"sort_index\":")
        output.write(byte: pid &+ 48)
        output.write("}}")
    }

    /// `thread_name` for a track (plain text; escaped here).
    mutating func writeThreadName(pid: UInt8, tid: UInt64, name: String, output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"M\",\"pid\":")
        output.write(byte: pid &+ 48)
        output.write(",\"tid\":")
        output.write(uint: tid)
        output.write(",\"name\":\"thread_name\",\"args\":{\"name\":")
        output.writeJSONString(name)
        output.write("}}")
    }

    mutating func writeThreadSortIndex(pid: UInt8, tid: UInt64, output: inout OutputBuffer) {
        open(&output)
        output.write("{\"ph\":\"M\",\"pid\":")
        output.write(byte: pid &+ 48)
        output.write(",\"tid\":")
        output.write(uint: tid)
        output.write(",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":")
        output.write(uint: tid)
        output.write("}}")
    }
}
