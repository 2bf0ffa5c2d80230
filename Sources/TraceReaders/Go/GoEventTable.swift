// The wire event types of Go execution traces (format 1.22 and later) and, per format version,
// how many arguments each carries.
//
// Invariants:
// - A type byte is valid for a version only if that version's table has a spec for it; reading
//   stops with damage on any other byte (arguments cannot be skipped without the count).
// - `argCount` of a timed event includes the leading timestamp delta; `args` of a decoded event
//   exclude it, so an argument named at wire position k (k >= 1) is `args[k - 1]`.
// - At most 4 arguments follow the timestamp delta (MaxTimedEventArgs 5 in Go's runtime).

enum GoEv {
    // Structural.
    static let eventBatch: UInt8 = 1
    static let stacks: UInt8 = 2
    static let stack: UInt8 = 3
    static let strings: UInt8 = 4
    static let string: UInt8 = 5
    static let cpuSamples: UInt8 = 6
    static let cpuSample: UInt8 = 7
    static let frequency: UInt8 = 8
    // Procs.
    static let procsChange: UInt8 = 9
    static let procStart: UInt8 = 10
    static let procStop: UInt8 = 11
    static let procSteal: UInt8 = 12
    static let procStatus: UInt8 = 13
    // Goroutines.
    static let goCreate: UInt8 = 14
    static let goCreateSyscall: UInt8 = 15
    static let goStart: UInt8 = 16
    static let goDestroy: UInt8 = 17
    static let goDestroySyscall: UInt8 = 18
    static let goStop: UInt8 = 19
    static let goBlock: UInt8 = 20
    static let goUnblock: UInt8 = 21
    static let goSyscallBegin: UInt8 = 22
    static let goSyscallEnd: UInt8 = 23
    static let goSyscallEndBlocked: UInt8 = 24
    static let goStatus: UInt8 = 25
    // Stop-the-world.
    static let stwBegin: UInt8 = 26
    static let stwEnd: UInt8 = 27
    // GC.
    static let gcActive: UInt8 = 28
    static let gcBegin: UInt8 = 29
    static let gcEnd: UInt8 = 30
    static let gcSweepActive: UInt8 = 31
    static let gcSweepBegin: UInt8 = 32
    static let gcSweepEnd: UInt8 = 33
    static let gcMarkAssistActive: UInt8 = 34
    static let gcMarkAssistBegin: UInt8 = 35
    static let gcMarkAssistEnd: UInt8 = 36
    static let heapAlloc: UInt8 = 37
    static let heapGoal: UInt8 = 38
    // Annotations.
    static let goLabel: UInt8 = 39
    static let userTaskBegin: UInt8 = 40
    static let userTaskEnd: UInt8 = 41
    static let userRegionBegin: UInt8 = 42
    static let userRegionEnd: UInt8 = 43
    static let userLog: UInt8 = 44
    // 1.23: coroutines, status with stack, experimental batches.
    static let goSwitch: UInt8 = 45
    static let goSwitchDestroy: UInt8 = 46
    static let goCreateBlocked: UInt8 = 47
    static let goStatusStack: UInt8 = 48
    static let experimentalBatch: UInt8 = 49
    // 1.25: sync batch.
    static let sync: UInt8 = 50
    static let clockSnapshot: UInt8 = 51
    // 1.26: in-band end of generation.
    static let endOfGeneration: UInt8 = 52
    // Experimental (alloc/free experiment, 1.23+): 128...136.
    static let firstExperimental: UInt8 = 128
    static let lastExperimental: UInt8 = 136
}

/// What the reader needs to know about one wire event type.
struct GoEventSpec: Sendable {
    var name: String
    /// Wire arguments of a timed event, timestamp delta included; 0 for structural events.
    var argCount: Int
    /// Argument positions (in `args`, i.e. after the delta) holding stack IDs; the first one is
    /// the stack of the event's own goroutine.
    var stackArgs: [Int] = []
    /// Argument positions (in `args`) holding string IDs.
    var stringArgs: [Int] = []
    /// For range ends, the type of the matching begin.
    var startType: UInt8 = 0

    var isTimed: Bool { argCount > 0 }
}

/// The event table of one format version, indexed by type byte.
struct GoEventTable: Sendable {
    let version: GoTraceVersion
    /// 256 entries; nil = not a valid timed event type in this version.
    private let timed: [GoEventSpec?]
    /// Hot-path copies of the specs, 256 entries each: wire argument count (0 = invalid in an
    /// event batch), and the positions in `args` of stack and string IDs (-1 = none).
    let argCounts: [Int]
    let stackArg0: [Int8]
    let stackArg1: [Int8]
    let stringArg0: [Int8]
    let stringArg1: [Int8]

    init(version: GoTraceVersion) {
        self.version = version
        var t = [GoEventSpec?](repeating: nil, count: 256)
        func add(_ type: UInt8, _ name: String, _ args: Int, stacks: [Int] = [], strings: [Int] = [],
                 start: UInt8 = 0) {
            t[Int(type)] = GoEventSpec(name: name, argCount: args, stackArgs: stacks, stringArgs: strings,
                                       startType: start)
        }
        add(GoEv.procsChange, "ProcsChange", 3, stacks: [1])
        add(GoEv.procStart, "ProcStart", 3)
        add(GoEv.procStop, "ProcStop", 1)
        add(GoEv.procSteal, "ProcSteal", 4)
        add(GoEv.procStatus, "ProcStatus", 3)
        add(GoEv.goCreate, "GoCreate", 4, stacks: [2, 1])
        add(GoEv.goCreateSyscall, "GoCreateSyscall", 2)
        add(GoEv.goStart, "GoStart", 3)
        add(GoEv.goDestroy, "GoDestroy", 1)
        add(GoEv.goDestroySyscall, "GoDestroySyscall", 1)
        add(GoEv.goStop, "GoStop", 3, stacks: [1], strings: [0])
        add(GoEv.goBlock, "GoBlock", 3, stacks: [1], strings: [0])
        add(GoEv.goUnblock, "GoUnblock", 4, stacks: [2])
        add(GoEv.goSyscallBegin, "GoSyscallBegin", 3, stacks: [1])
        add(GoEv.goSyscallEnd, "GoSyscallEnd", 1, start: GoEv.goSyscallBegin)
        add(GoEv.goSyscallEndBlocked, "GoSyscallEndBlocked", 1, start: GoEv.goSyscallBegin)
        add(GoEv.goStatus, "GoStatus", 4)
        add(GoEv.stwBegin, "STWBegin", 3, stacks: [1], strings: [0])
        add(GoEv.stwEnd, "STWEnd", 1, start: GoEv.stwBegin)
        add(GoEv.gcActive, "GCActive", 2, start: GoEv.gcBegin)
        add(GoEv.gcBegin, "GCBegin", 3, stacks: [1])
        add(GoEv.gcEnd, "GCEnd", 2, start: GoEv.gcBegin)
        add(GoEv.gcSweepActive, "GCSweepActive", 2, start: GoEv.gcSweepBegin)
        add(GoEv.gcSweepBegin, "GCSweepBegin", 2, stacks: [0])
        add(GoEv.gcSweepEnd, "GCSweepEnd", 3, start: GoEv.gcSweepBegin)
        add(GoEv.gcMarkAssistActive, "GCMarkAssistActive", 2, start: GoEv.gcMarkAssistBegin)
        add(GoEv.gcMarkAssistBegin, "GCMarkAssistBegin", 2, stacks: [0])
        add(GoEv.gcMarkAssistEnd, "GCMarkAssistEnd", 1, start: GoEv.gcMarkAssistBegin)
        add(GoEv.heapAlloc, "HeapAlloc", 2)
        add(GoEv.heapGoal, "HeapGoal", 2)
        add(GoEv.goLabel, "GoLabel", 2, strings: [0])
        add(GoEv.userTaskBegin, "UserTaskBegin", 5, stacks: [3], strings: [2])
        add(GoEv.userTaskEnd, "UserTaskEnd", 3, stacks: [1])
        add(GoEv.userRegionBegin, "UserRegionBegin", 4, stacks: [2], strings: [1])
        add(GoEv.userRegionEnd, "UserRegionEnd", 4, stacks: [2], strings: [1], start: GoEv.userRegionBegin)
        add(GoEv.userLog, "UserLog", 5, stacks: [3], strings: [1, 2])
        if version >= .go123 {
            add(GoEv.goSwitch, "GoSwitch", 3)
            add(GoEv.goSwitchDestroy, "GoSwitchDestroy", 3)
            add(GoEv.goCreateBlocked, "GoCreateBlocked", 4, stacks: [2, 1])
            add(GoEv.goStatusStack, "GoStatusStack", 5, stacks: [3])
            // Alloc/free experiment: Span, SpanAlloc, SpanFree, HeapObject, HeapObjectAlloc,
            // HeapObjectFree, GoroutineStack, GoroutineStackAlloc, GoroutineStackFree.
            let experimental: [(String, Int)] = [
                ("Span", 4), ("SpanAlloc", 4), ("SpanFree", 2),
                ("HeapObject", 3), ("HeapObjectAlloc", 3), ("HeapObjectFree", 2),
                ("GoroutineStack", 3), ("GoroutineStackAlloc", 3), ("GoroutineStackFree", 2),
            ]
            for (i, (name, args)) in experimental.enumerated() {
                add(GoEv.firstExperimental + UInt8(i), name, args)
            }
        }
        if version >= .go125 {
            // Only inside sync batches; listed so that a stray one in an event batch is named.
            add(GoEv.clockSnapshot, "ClockSnapshot", 4)
        }
        self.timed = t
        var counts = [Int](repeating: 0, count: 256)
        var s0 = [Int8](repeating: -1, count: 256), s1 = s0, str0 = s0, str1 = s0
        for (i, spec) in t.enumerated() {
            guard let spec, i != Int(GoEv.clockSnapshot) else { continue }
            counts[i] = spec.argCount
            if spec.stackArgs.count > 0 { s0[i] = Int8(spec.stackArgs[0]) }
            if spec.stackArgs.count > 1 { s1[i] = Int8(spec.stackArgs[1]) }
            if spec.stringArgs.count > 0 { str0[i] = Int8(spec.stringArgs[0]) }
            if spec.stringArgs.count > 1 { str1[i] = Int8(spec.stringArgs[1]) }
        }
        self.argCounts = counts
        self.stackArg0 = s0
        self.stackArg1 = s1
        self.stringArg0 = str0
        self.stringArg1 = str1
    }

    func spec(_ type: UInt8) -> GoEventSpec? { timed[Int(type)] }

    func name(_ type: UInt8) -> String {
        timed[Int(type)]?.name ?? "Invalid(\(type))"
    }
}
