// State at window start: what was alive when the oldest retained event was recorded, so that
// tasks, regions and threads whose beginnings fell out of the ring are still named and placed.
//
// Invariants:
// - Strings here are always inline (the window state is small and written once per snapshot).
// - Tasks are listed parents first; each task's regions outermost first.
// - Everything listed was open at `SnapshotHeader.windowStartTicks`; a region's
//   `beginTicks` may be earlier (it is clipped to the window by readers).

package struct WindowState: Equatable, Sendable {
    package struct Thread: Equatable, Sendable {
        package var thread: UInt64
        package var name: String
        package init(thread: UInt64, name: String) {
            self.thread = thread
            self.name = name
        }
    }

    package enum TaskStateAtStart: Equatable, Sendable {
        case unknown
        case running(thread: UInt64)
        case runnable
        case blocked(reason: String)
        case syscall(thread: UInt64)
    }

    package struct Task: Equatable, Sendable {
        package var task: UInt64
        package var parent: UInt64
        package var name: String
        package var group: String
        package var state: TaskStateAtStart
        package init(task: UInt64, parent: UInt64, name: String, group: String, state: TaskStateAtStart) {
            self.task = task
            self.parent = parent
            self.name = name
            self.group = group
            self.state = state
        }
    }

    package struct Region: Equatable, Sendable {
        package var task: UInt64
        package var thread: UInt64
        package var name: String
        package var stack: UInt64
        package var beginTicks: UInt64
        /// A blocking region (`Trace.withBlockingRegion`): it names the task's waits.
        package var blocking: Bool
        package init(task: UInt64, thread: UInt64, name: String, stack: UInt64 = 0, beginTicks: UInt64, blocking: Bool = false) {
            self.task = task
            self.thread = thread
            self.name = name
            self.stack = stack
            self.beginTicks = beginTicks
            self.blocking = blocking
        }
    }

    package var threads: [Thread] = []
    package var tasks: [Task] = []
    package var regions: [Region] = []

    package init(threads: [Thread] = [], tasks: [Task] = [], regions: [Region] = []) {
        self.threads = threads
        self.tasks = tasks
        self.regions = regions
    }

    package var isEmpty: Bool { threads.isEmpty && tasks.isEmpty && regions.isEmpty }

    enum RecordKind: UInt8, CaseIterable {
        case thread = 1
        case task = 2
        case region = 3
    }

    enum StateCode: UInt8 {
        case unknown = 0, running = 1, runnable = 2, blocked = 3, syscall = 4
    }

    package func encoded() -> [UInt8] {
        var w = ByteWriter()
        for t in threads {
            w.byte(RecordKind.thread.rawValue)
            w.uvarint(t.thread)
            w.string(t.name)
        }
        for t in tasks {
            w.byte(RecordKind.task.rawValue)
            w.uvarint(t.task)
            w.uvarint(t.parent)
            w.string(t.name)
            w.string(t.group)
            switch t.state {
            case .unknown: w.byte(StateCode.unknown.rawValue)
            case .running(let thread):
                w.byte(StateCode.running.rawValue)
                w.uvarint(thread)
            case .runnable: w.byte(StateCode.runnable.rawValue)
            case .blocked(let reason):
                w.byte(StateCode.blocked.rawValue)
                w.string(reason)
            case .syscall(let thread):
                w.byte(StateCode.syscall.rawValue)
                w.uvarint(thread)
            }
        }
        for r in regions {
            w.byte(RecordKind.region.rawValue)
            w.uvarint(r.task)
            w.uvarint(r.thread)
            w.string(r.name)
            w.uvarint(r.stack)
            w.uvarint(r.beginTicks)
            w.byte(r.blocking ? 1 : 0)
        }
        return w.bytes
    }

    package static func decode(_ payload: [UInt8]) throws -> WindowState {
        var s = WindowState()
        var c = ByteCursor(payload)
        while !c.isAtEnd {
            let at = c.offset
            guard let kind = RecordKind(rawValue: try c.byte()) else {
                throw FormatError(offset: at, "unknown window-state record \(payload[at])")
            }
            switch kind {
            case .thread:
                s.threads.append(Thread(thread: try c.uvarint(), name: try c.string()))
            case .task:
                let task = try c.uvarint(), parent = try c.uvarint()
                let name = try c.string(), group = try c.string()
                let codeAt = c.offset
                let state: TaskStateAtStart
                switch StateCode(rawValue: try c.byte()) {
                case .unknown: state = .unknown
                case .running: state = .running(thread: try c.uvarint())
                case .runnable: state = .runnable
                case .blocked: state = .blocked(reason: try c.string())
                case .syscall: state = .syscall(thread: try c.uvarint())
                case nil: throw FormatError(offset: codeAt, "unknown task state code")
                }
                s.tasks.append(Task(task: task, parent: parent, name: name, group: group, state: state))
            case .region:
                s.regions.append(Region(task: try c.uvarint(), thread: try c.uvarint(), name: try c.string(),
                                        stack: try c.uvarint(), beginTicks: try c.uvarint(),
                                        blocking: try c.byte() & 1 != 0))
            }
        }
        return s
    }
}
