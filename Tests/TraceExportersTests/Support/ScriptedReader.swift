// An in-memory TraceReader over a hand-built event sequence, and the script that builds it.
//
// Invariants:
// - The reader hands out the script's events in order, then nil; `damage` is whatever the
//   test set (as a real reader would after damaged input).
// - The script interns every string and stack in its own TraceTables, as readers do.

import TraceExporters
import TraceModel

struct ScriptedReader: TraceReader {
    var metadata: TraceMetadata
    var tables: TraceTables
    var damage: TraceDamage?
    var warnings: [String] = []
    private var events: [TraceEvent]
    private var position = 0

    init(metadata: TraceMetadata, tables: TraceTables, events: [TraceEvent], damage: TraceDamage? = nil) {
        self.metadata = metadata
        self.tables = tables
        self.events = events
        self.damage = damage
    }

    mutating func next() throws -> TraceEvent? {
        guard position < events.count else { return nil }
        defer { position += 1 }
        return events[position]
    }
}

enum ScriptState {
    case running, runnable, syscall, ended
    case blocked(String)
}

/// Builds a trace: times are given relative to the window start, in ns.
final class TraceScript {
    let tables = TraceTables()
    var metadata: TraceMetadata
    private var added: [TraceEvent] = []
    /// Keep events in the order they were added, even when times go backwards (tests of
    /// robustness); otherwise they are stably sorted by time, as readers deliver them.
    var unordered = false

    var events: [TraceEvent] {
        if unordered { return added }
        return added.enumerated().sorted { ($0.element.timeNs, $0.offset) < ($1.element.timeNs, $1.offset) }.map(\.element)
    }

    init(startNs: Int64 = 1_000_000, durationNs: Int64 = 1_000_000) {
        metadata = TraceMetadata(format: "tracexport", version: "1.0", startNs: startNs, endNs: startNs + durationNs)
        metadata.trigger = "test"
    }

    var startNs: Int64 { metadata.startNs }

    func s(_ text: String) -> StringID { tables.intern(text) }

    func stack(_ functionsRootFirst: [String]) -> StackID {
        if functionsRootFirst.isEmpty { return .none }
        return tables.intern(stack: functionsRootFirst.reversed().map { StackFrame(function: s($0)) })
    }

    private func add(_ t: Int64, _ kind: TraceEvent.Kind) {
        added.append(TraceEvent(timeNs: startNs + t, kind))
    }

    func threadName(_ t: Int64, _ thread: UInt64, _ name: String) {
        add(t, .threadName(ThreadID(thread), name: s(name)))
    }

    func created(_ t: Int64, _ id: UInt64, _ name: String, group: String = "", parent: UInt64 = 0) {
        add(t, .taskCreated(TaskID(id), parent: TaskID(parent), name: s(name), group: s(group), stack: .none))
    }

    func state(_ t: Int64, _ id: UInt64, _ state: ScriptState, thread: UInt64 = 0, waker: UInt64 = 0,
               stack frames: [String] = []) {
        let taskState: TaskState = switch state {
        case .running: .running
        case .runnable: .runnable
        case .syscall: .syscall
        case .ended: .ended
        case .blocked(let reason): .blocked(reason: s(reason))
        }
        add(t, .taskState(TaskID(id), taskState, thread: ThreadID(thread), waker: TaskID(waker), stack: stack(frames)))
    }

    func regionBegin(_ t: Int64, task: UInt64, thread: UInt64 = 0, _ name: String, stack frames: [String] = []) {
        add(t, .regionBegin(task: TaskID(task), thread: ThreadID(thread), name: s(name), stack: stack(frames)))
    }

    func regionEnd(_ t: Int64, task: UInt64, thread: UInt64 = 0, _ name: String) {
        add(t, .regionEnd(task: TaskID(task), thread: ThreadID(thread), name: s(name)))
    }

    func log(_ t: Int64, task: UInt64, thread: UInt64 = 0, _ category: String, _ message: String) {
        add(t, .log(task: TaskID(task), thread: ThreadID(thread), category: s(category), message: message))
    }

    func counter(_ t: Int64, _ name: String, _ value: Double) {
        add(t, .counter(name: s(name), value: value))
    }

    func actorCreated(_ t: Int64, _ actor: UInt64, _ label: String) {
        add(t, .actorCreated(ActorID(actor), name: s(label)))
    }

    /// The task blocks on the actor and queues, as readers report it: the blocked state
    /// ("actor <type>"), then the enqueue.
    func enqueue(_ t: Int64, _ actor: UInt64, task: UInt64, reason: String) {
        state(t, task, .blocked(reason))
        add(t, .actorEnqueued(ActorID(actor), task: TaskID(task)))
    }

    /// The task runs on `thread` holding the actor: its running state, then the acquisition.
    func acquire(_ t: Int64, _ actor: UInt64, task: UInt64, thread: UInt64) {
        state(t, task, .running, thread: thread)
        add(t, .actorAcquired(ActorID(actor), task: TaskID(task), thread: ThreadID(thread)))
    }

    /// The acquisition alone (a task already running hops onto the actor).
    func acquired(_ t: Int64, _ actor: UInt64, task: UInt64, thread: UInt64) {
        add(t, .actorAcquired(ActorID(actor), task: TaskID(task), thread: ThreadID(thread)))
    }

    func release(_ t: Int64, _ actor: UInt64, task: UInt64) {
        add(t, .actorReleased(ActorID(actor), task: TaskID(task)))
    }

    func reader(damage: TraceDamage? = nil) -> ScriptedReader {
        ScriptedReader(metadata: metadata, tables: tables, events: events, damage: damage)
    }
}

/// Runs an exporter over a script and returns its output.
func export<E: TraceExporter>(_ exporter: E, _ script: TraceScript, damage: TraceDamage? = nil) throws -> String {
    var exporter = exporter
    var reader = script.reader(damage: damage)
    var output = OutputBuffer()
    try exporter.run(&reader, output: &output)
    return output.string
}
