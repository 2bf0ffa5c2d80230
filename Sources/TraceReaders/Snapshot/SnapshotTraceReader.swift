// Reading a tracexport snapshot into the event model.
//
// Invariants:
// - Construction reads the header and every frame up to the first events frame (strings,
//   stacks, window state); a file that is not a snapshot, or has a newer major version or a
//   damaged header, throws.
// - The window state comes out first, at `startNs`: thread names, then each live task
//   (`taskCreated` and its state), then its open regions, outermost first.
// - A task's first event is always `taskCreated`: tasks seen without one (their creation fell
//   out of the ring and the window state did not list them) are introduced on first sight.
// - Blocked states with no specific reason take the name of the task's innermost open
//   blocking region, so a wait inside `Trace.withBlockingRegion("db query")` reads "db query"
//   whichever thread the task resumed on.
// - Live state only: open tasks, their open regions, open chunks. Ended tasks are forgotten.
// - Frames are read, inflated, decoded and merged by a RecordMerger, on this thread or (with
//   `readAhead`) on a second one; this reader maps its records to events, interning strings,
//   so the tables are only ever touched on the reader's thread. Both ways give the same events.

import TraceFormat
import TraceModel

public struct SnapshotTraceReader: TraceReader {
    public private(set) var metadata: TraceMetadata
    public let tables = TraceTables()
    public private(set) var damage: TraceDamage?
    public private(set) var warnings: [String] = []
    package let header: SnapshotHeader

    private let fileName: String
    /// Where merged records come from, once the preamble is read.
    private var batches: BatchSource<RecordMerger>?
    private var batch = RecordBatch()
    /// The current batch's records, read in place: copying each record (a decoded event and
    /// its place) out of the array before mapping it cost a memmove per event. Sound because
    /// `batch` keeps the array's buffer alive and nothing writes to it while it is current;
    /// the pointer is replaced together with the batch (`nextBatch`), before the spent batch
    /// goes back to the producer to be written again.
    private var records: UnsafePointer<MergedRecord>?
    private var recordIndex = 0
    private var streamEnded = false
    /// Snapshot string id -> model string id (ids are dense from 1).
    private var stringMap: [StringID] = []
    private var stackMap: [UInt64: StackID] = [:]
    private var pending: [TraceEvent] = []
    private var pendingIndex = 0
    private var live = IDMap<LiveTask>()
    /// Region lists of forgotten tasks, emptied with their storage kept, for new tasks: most
    /// tasks open a region, and a fresh list allocates on its first append. At most
    /// `maxSpareRegionLists` are kept.
    private var spareRegionLists: [[(name: StringID, blocking: Bool, span: Bool)]] = []
    private static let maxSpareRegionLists = 1024
    private var actors = ActorTracker()
    /// Origins of tasks whose taskCreated comes next (taskOrigin records): the model's stack
    /// (raw), scope.
    private var origins = IDMap<(stack: UInt64, scope: UInt64)>()
    /// Per task, the stack of the point its next reasonless block suspends it at (taskSuspension).
    private var suspensions: [UInt64: UInt64] = [:]
    /// Per snapshot stack id of a suspension point: the reason it gives a wait.
    private var suspensionReasons: [UInt64: StringID] = [:]
    private let sleepReason: StringID
    private var originNames = TaskOriginNames()
    /// Open regions of task-less code, per thread: names, innermost last.
    private var threadRegions: [UInt64: [StringID]] = [:]
    /// The thread and task of the last region begun on a task: a `span start` next on that
    /// thread makes it a span's. (One slot: the span's records are one append at one instant,
    /// so only a record of another thread at that very tick comes between them; the region
    /// then stays a plain one.)
    private var lastRegionBegun: (thread: UInt64, task: UInt64) = (0, 0)
    private var unmatchedRegionEnds = 0
    private var lastNs: Int64
    private let suspendedReason: StringID
    /// Group of tasks known only from records after their creation fell out of the ring.
    private let createdBeforeWindow: StringID
    /// Group of anonymous tasks created outside any region.
    private let anonymousGroup: StringID
    /// Log categories of the span records (SpanText).
    private let spanStartCategory: StringID
    private let spanEndCategory: StringID
    /// Span records whose fields did not decode (dropped, with a warning).
    private var malformedSpanRecords = 0
    /// Records read, by record kind byte of the snapshot format; complete once `next()` has
    /// returned nil (counted where records are merged, off the mapping thread).
    private(set) var recordCounts = [Int](repeating: 0, count: 256)

    struct LiveTask {
        /// Open regions, innermost last: name, whether it is a blocking region, whether it is a
        /// span's (7.7: its begin is followed by a `span start` on the same thread).
        var regions: [(name: StringID, blocking: Bool, span: Bool)] = []
        /// The task that created this one (0: unknown).
        var parent: UInt64 = 0
    }

    /// Opens `path` ("-" for standard input). `readAhead`: read, inflate and decode on a
    /// second thread while this one maps and consumes.
    public init(path: String, readAhead: Bool = false) throws {
        let source = path == "-" ? ByteSource(fileDescriptor: 0) : try ByteSource(path: path)
        try self.init(source: source, name: path, readAhead: readAhead)
    }

    public init(bytes: [UInt8], name: String = "<memory>", readAhead: Bool = false) throws {
        try self.init(source: ByteSource(bytes: bytes), name: name, readAhead: readAhead)
    }

    init(source: ByteSource, name: String, readAhead: Bool = false) throws {
        try self.init(source: source, name: name, reading: BatchReading(readAhead: readAhead, batchSize: Self.batchSize))
    }

    /// Records per batch: 256 KB of 64-byte records, so that a hand-off (a lock, and a wake-up
    /// when the other thread waits) comes once per 4,096 records.
    static let batchSize = 4096

    init(source: ByteSource, name: String, reading: BatchReading) throws {
        self.fileName = name
        let frames: FrameReader
        do {
            frames = try FrameReader(source: source)
        } catch let e as FormatError {
            throw TraceDamage(file: name, offset: Int64(e.offset), message: e.message)
        }
        var merger = RecordMerger(frames: frames, name: name, batchSize: reading.batchSize)
        header = frames.header
        metadata = TraceMetadata(format: "tracexport", version: header.versionString)
        metadata.trigger = header.trigger
        metadata.triggerFields = header.triggerFields.map { KeyValue($0.key, $0.value) }
        metadata.pid = header.pid == 0 ? nil : Int64(header.pid)
        metadata.executable = header.executable
        metadata.hostname = header.hostname
        metadata.minAgeNs = header.minAgeNs == 0 ? nil : Int64(header.minAgeNs)
        metadata.maxBytes = header.maxBytes == 0 ? nil : Int64(header.maxBytes)
        suspendedReason = tables.intern("suspended")
        sleepReason = tables.intern("sleep")
        createdBeforeWindow = tables.intern("(created before the window)")
        anonymousGroup = tables.intern("(anonymous)")
        spanStartCategory = tables.intern("span.start")
        spanEndCategory = tables.intern("span")
        lastNs = 0
        try readPreamble(&merger)
        let startTicks = header.windowStartTicks != 0 ? header.windowStartTicks : (merger.firstTicks ?? 0)
        metadata.startNs = header.nanoseconds(ticks: startTicks)
        metadata.endNs = max(metadata.startNs, header.windowEndTicks != 0
            ? header.nanoseconds(ticks: header.windowEndTicks) : metadata.startNs)
        if header.anchorWallClockNs != 0 {
            metadata.wallClockStartNs = header.anchorWallClockNs + (metadata.startNs - Int64(header.anchorMonotonicNs))
        }
        lastNs = metadata.startNs
        merger.lastNs = metadata.startNs
        for i in pending.indices { pending[i].timeNs = metadata.startNs }
        metadata.fileBytes = frames.storedBytes
        metadata.uncompressedBytes = frames.rawBytes
        merger.stacks = stackMap
        merger.strings = stringMap
        batches = BatchSource(merger, reading: reading)
    }

    /// Whether records are read ahead on a second thread.
    public var isReadingAhead: Bool { batches?.isReadingAhead ?? false }

    // MARK: Preamble: strings, stacks, window state

    private mutating func readPreamble(_ merger: inout RecordMerger) throws {
        let frames = merger.frames
        var window = WindowState()
        while let frame = try merger.nextFrame() {
            switch frame.knownKind {
            case .strings:
                do {
                    try StringsFrame.decode(frame.payload) { id, s in
                        guard id < Self.maxStringID else {
                            warnings.append("\(fileName): offset \(frame.offset): string id \(id) too large, ignored")
                            return
                        }
                        if Int(id) >= stringMap.count {
                            stringMap.append(contentsOf: repeatElement(.empty, count: Int(id) + 1 - stringMap.count))
                        }
                        stringMap[Int(id)] = tables.intern(s)
                    }
                } catch let e as FormatError {
                    frames.markDamaged(offset: frame.offset, message: "strings frame: payload offset \(e.offset): \(e.message)")
                }
            case .stacks:
                do {
                    try StacksFrame.decode(frame.payload) { id, snapshotFrames in
                        let model = snapshotFrames.map { f in
                            StackFrame(function: f.function == 0 ? tables.intern(Self.hex(f.pc)) : string(f.function),
                                       file: string(f.file), line: UInt32(truncatingIfNeeded: f.line))
                        }
                        stackMap[id] = tables.intern(stack: model)
                    }
                } catch let e as FormatError {
                    frames.markDamaged(offset: frame.offset, message: "stacks frame: payload offset \(e.offset): \(e.message)")
                }
            case .windowState:
                do { window = try WindowState.decode(frame.payload) } catch let e as FormatError {
                    frames.markDamaged(offset: frame.offset, message: "window-state frame: payload offset \(e.offset): \(e.message)")
                }
            case .events:
                merger.open(frame)
                appendWindowState(window)
                return
            case .end:
                merger.markFramesDone()
                appendWindowState(window)
                return
            case nil:
                warnings.append("\(fileName): offset \(frame.offset): skipped frame of unknown kind \(frame.kind)")
            }
        }
        merger.markFramesDone()
        appendWindowState(window)
    }

    private static func hex(_ pc: UInt64) -> String { "0x" + String(pc, radix: 16) }

    /// Ids beyond this are refused: a damaged strings frame must not make the map huge.
    private static let maxStringID: UInt64 = 1 << 24

    @inline(__always)
    private func string(_ id: UInt64) -> StringID { id < UInt64(stringMap.count) ? stringMap[Int(id)] : .empty }

    /// A record's string field (`PackedString`).
    @inline(__always)
    private mutating func string(_ tag: PackedString, _ word: UInt64, payload: Int32) -> StringID {
        switch tag {
        case .none: return .empty
        case .interned: return StringID(UInt32(truncatingIfNeeded: word))  // resolved by the merger
        case .inline:
            return tables.intern(String(decoding: batch.payloads[Int(payload)][PackedString.range(word)], as: UTF8.self))
        }
    }

    private mutating func appendWindowState(_ w: WindowState) {
        for t in w.threads {
            pending.append(TraceEvent(timeNs: 0, .threadName(ThreadID(t.thread), name: tables.intern(t.name))))
        }
        for t in w.tasks {
            let name = tables.intern(t.name)
            let group = tables.intern(t.group.isEmpty ? t.name : t.group)
            pending.append(TraceEvent(timeNs: 0, .taskCreated(TaskID(t.task), parent: TaskID(t.parent), name: name, group: group, stack: .none)))
            live[t.task] = LiveTask(parent: t.parent)
            let state: (TaskState, ThreadID)?
            switch t.state {
            case .unknown: state = nil
            case .running(let thread): state = (.running, ThreadID(thread))
            case .runnable: state = (.runnable, .none)
            case .blocked(let reason): state = (.blocked(reason: tables.intern(reason.isEmpty ? "suspended" : reason)), .none)
            case .syscall(let thread): state = (.syscall, ThreadID(thread))
            }
            if let (s, thread) = state {
                pending.append(TraceEvent(timeNs: 0, .taskState(TaskID(t.task), s, thread: thread, waker: .none, stack: .none)))
            }
        }
        for r in w.regions {
            let name = tables.intern(r.name)
            if r.task != 0 { openRegion(task: r.task, name, blocking: r.blocking) }
            else { threadRegions[r.thread, default: []].append(name) }
            pending.append(TraceEvent(timeNs: 0, .regionBegin(task: TaskID(r.task), thread: ThreadID(r.thread),
                                                              name: name, stack: stackMap[r.stack] ?? .none)))
        }
    }

    // MARK: Events

    public mutating func next() throws -> TraceEvent? {
        while true {
            if pendingIndex < pending.count {
                let e = pending[pendingIndex]
                pendingIndex += 1
                if pendingIndex == pending.count {
                    pending.removeAll(keepingCapacity: true)
                    pendingIndex = 0
                }
                return e
            }
            guard recordIndex < batch.count else {
                guard try nextBatch() else { return nil }
                continue
            }
            let record = records.unsafelyUnwrapped + recordIndex
            recordIndex += 1
            let ns = record.pointee.ns
            lastNs = ns
            guard let event = map(record, payload: record.pointee.payload,
                                  thread: ThreadID(record.pointee.thread), ns: ns) else { continue }
            // `map` may have queued a synthetic creation that must come first.
            if pending.isEmpty { return event }
            pending.append(event)
        }
    }

    /// Moves on to the next batch once the current one is consumed; false at the end of the
    /// stream. A read failure is thrown after the records before it were handed out.
    private mutating func nextBatch() throws -> Bool {
        guard !streamEnded else { return false }
        if let failure = batch.failure {
            streamEnded = true
            throw failure
        }
        if let end = batch.end {
            streamEnded = true
            finishStream(end)
            return false
        }
        let spent = batch
        batch = RecordBatch()
        records = nil
        guard let next = batches!.next(spent: consume spent) else {
            // The producer always ends with a batch saying how; this is a producer gone early.
            streamEnded = true
            throw TraceDamage(file: fileName, offset: metadata.fileBytes, message: "reading stopped early")
        }
        batch = next
        records = batch.records.withUnsafeBufferPointer { $0.baseAddress }
        recordIndex = 0
        warnings.append(contentsOf: batch.warnings)
        return true
    }

    /// Direct-mapped cache of task ids known to be live: most records are about a task seen a
    /// moment ago, and a hit spares the dictionary's hashing. A slot holds 0 or a live id.
    private var knownLive = [UInt64](repeating: 0, count: 1024)

    @inline(__always)
    private mutating func forget(_ task: UInt64) {
        let slot = Int(truncatingIfNeeded: task & 1023)
        if knownLive[slot] == task { knownLive[slot] = 0 }
        if var ended = live.remove(task), ended.regions.capacity > 0, spareRegionLists.count < Self.maxSpareRegionLists {
            ended.regions.removeAll(keepingCapacity: true)
            spareRegionLists.append(ended.regions)
        }
        if !suspensions.isEmpty { suspensions[task] = nil }
    }

    /// Whether a function is the standard library's or the concurrency runtime's (its C++
    /// functions, such as the task group's resume adapter): not where the application waits.
    private static func isStandardLibrary(_ function: String) -> Bool {
        // A closure is where the function that contains it is; a witness is the protocol's.
        var name = Substring(function)
        while true {
            var rest = name
            if rest.hasPrefix("implicit ") { rest = rest.dropFirst(9) }
            guard rest.hasPrefix("closure #"), let enclosing = rest.firstRange(of: " in ") else { break }
            name = rest[enclosing.upperBound...]
        }
        for thunk in ["protocol witness for ", "dispatch thunk of "] where name.hasPrefix(thunk) { name = name.dropFirst(thunk.count) }
        return name.hasPrefix("Swift.") || name.hasPrefix("_Z") || name.hasPrefix("swift_") || name.contains("swift::")
    }

    /// The reason a wait suspended at the await chain of snapshot stack `stack` has: "sleep" in
    /// the standard library's sleeps; else "suspended in <function>", the innermost function of
    /// the chain outside the standard library and the concurrency runtime (else the outermost);
    /// else "suspended" when the chain has no names.
    private mutating func suspensionReason(_ stack: UInt64) -> StringID {
        if let known = suspensionReasons[stack] { return known }
        var reason = suspendedReason
        if let model = stackMap[stack] {
            let functions = tables.stack(model).map { tables.string($0.function) }
                .filter { !$0.isEmpty && !$0.hasPrefix("0x") }
            if functions.contains(where: { $0.contains("Task._sleep(") || $0.contains("Task.sleep(") || $0.contains("Clock.sleep(") }) {
                reason = sleepReason
            } else if let function = functions.first(where: { !Self.isStandardLibrary($0) }) ?? functions.last {
                reason = tables.intern("suspended in " + function)
            }
        }
        suspensionReasons[stack] = reason
        return reason
    }

    /// Introduces a task seen for the first time without a creation record.
    @inline(__always)
    private mutating func ensureKnown(_ task: UInt64, ns: Int64) {
        let slot = Int(truncatingIfNeeded: task & 1023)
        guard task != 0, knownLive[slot] != task else { return }
        guard live[task] == nil else {
            knownLive[slot] = task
            return
        }
        live[task] = newLiveTask(parent: 0)
        knownLive[slot] = task
        let name = tables.intern("task \(task)")
        pending.append(TraceEvent(timeNs: ns, .taskCreated(TaskID(task), parent: .none, name: name,
                                                           group: createdBeforeWindow, stack: .none)))
    }

    /// The model event of one record, or nil when it maps to none or to several (actor hops,
    /// actor releases before a state change): those are queued in `pending`, in order.
    private mutating func map(_ e: UnsafePointer<MergedRecord>, payload: Int32, thread: ThreadID, ns: Int64) -> TraceEvent? {
        switch e.pointee.kind {
        case .actorWait, .actorRun:
            ensureKnown(e.pointee.task, ns: ns)
            let type = string(e.pointee.nameTag, e.pointee.name, payload: payload)
            if e.pointee.kind == .actorWait {
                actors.wait(task: e.pointee.task, actor: e.pointee.other, type: type, reason: openBlockingRegion(e.pointee.task), thread: thread,
                            ns: ns, tables: tables, into: &pending)
            } else {
                actors.run(task: e.pointee.task, actor: e.pointee.other, type: type, thread: thread, ns: ns, tables: tables, into: &pending)
            }
            return nil
        case .taskEnded, .taskRunnable, .taskRunning, .taskBlocked, .taskSyscall:
            let event = mapRecord(e, payload: payload, thread: thread, ns: ns)
            guard actors.isActive else { return event }
            // A hold of an actor ends with the task's next state (releases come first).
            actors.stateChanged(task: e.pointee.task, syscall: e.pointee.kind == .taskSyscall,
                                runningOn: e.pointee.kind == .taskRunning ? thread.raw : 0, ended: e.pointee.kind == .taskEnded,
                                ns: ns, into: &pending)
            if let event { pending.append(event) }
            return nil
        default:
            return mapRecord(e, payload: payload, thread: thread, ns: ns)
        }
    }

    /// A live task's record, its region list taken from the spares when there is one.
    @inline(__always)
    private mutating func newLiveTask(parent: UInt64) -> LiveTask {
        LiveTask(regions: spareRegionLists.popLast() ?? [], parent: parent)
    }

    private mutating func openRegion(task: UInt64, _ name: StringID, blocking: Bool) {
        if live.update(task, { $0.regions.append((name, blocking, false)) }) == nil {
            live[task] = LiveTask(regions: [(name, blocking, false)])
        }
    }

    /// Closes the innermost open region of that name on `task`; false when none is open.
    private mutating func closeRegion(task: UInt64, _ name: StringID) -> Bool {
        live.update(task) { t -> Bool in
            guard let i = t.regions.lastIndex(where: { $0.name == name }) else { return false }
            t.regions.remove(at: i)
            return true
        } ?? false
    }

    /// The name of the innermost blocking region open on `task`, if any.
    private func openBlockingRegion(_ task: UInt64) -> StringID? {
        live[task]?.regions.last(where: { $0.blocking })?.name
    }

    private mutating func mapRecord(_ e: UnsafePointer<MergedRecord>, payload: Int32, thread: ThreadID, ns: Int64) -> TraceEvent? {
        let task = TaskID(e.pointee.task)
        switch e.pointee.kind {
        case .taskCreated:
            let name = string(e.pointee.nameTag, e.pointee.name, payload: payload)
            var group = string(e.pointee.groupTag, e.pointee.group, payload: payload)
            var parent = e.pointee.other
            var stack = StackID.none
            if let origin = origins.remove(e.pointee.task) {
                stack = StackID(UInt32(truncatingIfNeeded: origin.stack))  // resolved by the merger
                // Created inside a logical task (a request) by the task that opened it: the
                // logical task is the parent. Tasks its children create keep their creator.
                if origin.scope != 0, let scope = live[origin.scope], scope.parent == e.pointee.other { parent = origin.scope }
            }
            if group.isEmpty {
                // Anonymous tasks group by the region that spawned them (the user's word, so not
                // a span's, which instrumentation names: `HTTP GET route not found`), else by the
                // function that created them, else by name.
                group = live[e.pointee.other]?.regions.last(where: { !$0.span })?.name
                    ?? (stack.isNone ? nil : originNames.function(of: stack, tables: tables)) ?? name
            }
            if group.isEmpty { group = anonymousGroup }
            live[e.pointee.task] = newLiveTask(parent: e.pointee.other)
            return TraceEvent(timeNs: ns, .taskCreated(task, parent: TaskID(parent), name: name, group: group, stack: stack))
        case .taskEnded:
            ensureKnown(e.pointee.task, ns: ns)
            forget(e.pointee.task)
            return TraceEvent(timeNs: ns, .taskState(task, .ended, thread: thread, waker: .none, stack: .none))
        case .taskRunnable:
            ensureKnown(e.pointee.task, ns: ns)
            return TraceEvent(timeNs: ns, .taskState(task, .runnable, thread: thread, waker: TaskID(e.pointee.other), stack: .none))
        case .taskRunning:
            ensureKnown(e.pointee.task, ns: ns)
            return TraceEvent(timeNs: ns, .taskState(task, .running, thread: thread, waker: .none, stack: .none))
        case .taskBlocked:
            ensureKnown(e.pointee.task, ns: ns)
            var reason = string(e.pointee.nameTag, e.pointee.name, payload: payload)
            let point = suspensions.isEmpty ? nil : suspensions.removeValue(forKey: e.pointee.task)
            // The user's word wins: inside a blocking region every wait is that region's
            // (a sleep inside `withBlockingRegion("db query")` is the query's wait).
            if let region = openBlockingRegion(e.pointee.task) { reason = region }
            else if reason.isEmpty { reason = point.map { suspensionReason($0) } ?? suspendedReason }
            return TraceEvent(timeNs: ns, .taskState(task, .blocked(reason: reason), thread: thread, waker: .none,
                                                     stack: point.flatMap { stackMap[$0] } ?? .none))
        case .taskSyscall:
            ensureKnown(e.pointee.task, ns: ns)
            return TraceEvent(timeNs: ns, .taskState(task, .syscall, thread: thread, waker: .none, stack: .none))
        case .regionBegin, .blockingRegionBegin:
            ensureKnown(e.pointee.task, ns: ns)
            let name = string(e.pointee.nameTag, e.pointee.name, payload: payload)
            if e.pointee.task != 0 {
                openRegion(task: e.pointee.task, name, blocking: e.pointee.kind == .blockingRegionBegin)
                lastRegionBegun = (thread.raw, e.pointee.task)
            } else {
                threadRegions[thread.raw, default: []].append(name)
                lastRegionBegun = (0, 0)
            }
            return TraceEvent(timeNs: ns, .regionBegin(task: task, thread: thread, name: name,
                                                       stack: StackID(UInt32(truncatingIfNeeded: e.pointee.other))))
        case .regionEnd:
            ensureKnown(e.pointee.task, ns: ns)
            let name = string(e.pointee.nameTag, e.pointee.name, payload: payload)
            let closed: Bool
            if e.pointee.task != 0 {
                closed = closeRegion(task: e.pointee.task, name)
            } else if let i = threadRegions[thread.raw]?.lastIndex(of: name) {
                threadRegions[thread.raw]!.remove(at: i)
                closed = true
            } else {
                closed = false
            }
            guard closed else {
                unmatchedRegionEnds += 1
                return nil
            }
            return TraceEvent(timeNs: ns, .regionEnd(task: task, thread: thread, name: name))
        case .log:
            ensureKnown(e.pointee.task, ns: ns)
            return TraceEvent(timeNs: ns, .log(task: task, thread: thread, category: string(e.pointee.nameTag, e.pointee.name, payload: payload),
                                                message: String(decoding: batch.payloads[Int(payload)][e.pointee.message], as: UTF8.self)))
        case .counterInt:
            return TraceEvent(timeNs: ns, .counter(name: string(e.pointee.nameTag, e.pointee.name, payload: payload), value: Double(e.pointee.intValue)))
        case .counterFloat:
            return TraceEvent(timeNs: ns, .counter(name: string(e.pointee.nameTag, e.pointee.name, payload: payload), value: e.pointee.floatValue))
        case .threadName:
            return TraceEvent(timeNs: ns, .threadName(thread, name: string(e.pointee.nameTag, e.pointee.name, payload: payload)))
        case .jobCPUTime:
            ensureKnown(e.pointee.task, ns: ns)
            return TraceEvent(timeNs: ns, .taskCPU(task, cpuNs: Int64(clamping: e.pointee.other), thread: thread))
        case .actorWait, .actorRun:
            return nil  // mapped by `map`
        case .taskOrigin:
            // For the task's taskCreated, which follows on this thread.
            origins[e.pointee.task] = (e.pointee.other, e.pointee.scope)
            return nil
        case .taskSuspension:
            // For the task's taskBlocked, which follows on this thread.
            suspensions[e.pointee.task] = e.pointee.other
            return nil
        case .taskName:
            // A logical task named again (format 1.3): the model renames a live task by creating
            // it again, with the parent it has (no task origin changes a logical task's).
            ensureKnown(e.pointee.task, ns: ns)
            let name = string(e.pointee.nameTag, e.pointee.name, payload: payload)
            let parent = live[e.pointee.task]?.parent ?? 0
            return TraceEvent(timeNs: ns, .taskCreated(task, parent: TaskID(parent), name: name, group: name, stack: .none))
        case .spanStart, .spanEnd:
            // Shown as the logs `span.start` and `span` of the span's task, in logfmt.
            ensureKnown(e.pointee.task, ns: ns)
            if e.pointee.kind == .spanStart, lastRegionBegun.thread == thread.raw, lastRegionBegun.task != 0 {
                // The region begun right before on this thread is the span's.
                _ = live.update(lastRegionBegun.task) { t in
                    if let last = t.regions.indices.last { t.regions[last].span = true }
                }
                lastRegionBegun = (0, 0)
            }
            let bytes = batch.payloads[Int(payload)]
            let text: String
            do {
                text = e.pointee.kind == .spanStart ? SpanText.start(try SpanRecord.decodeStart(bytes, fields: e.pointee.message))
                                            : SpanText.end(try SpanRecord.decodeEnd(bytes, fields: e.pointee.message))
            } catch {
                malformedSpanRecords += 1
                return nil
            }
            return TraceEvent(timeNs: ns, .log(task: task, thread: thread,
                                                category: e.pointee.kind == .spanStart ? spanStartCategory : spanEndCategory,
                                                message: text))
        }
    }

    private mutating func finishStream(_ end: MergeEnd) {
        metadata.endNs = max(metadata.endNs, lastNs)
        recordCounts = end.recordCounts
        metadata.fileBytes = end.storedBytes
        metadata.uncompressedBytes = end.rawBytes
        if unmatchedRegionEnds > 0 {
            warnings.append("\(fileName): dropped \(unmatchedRegionEnds) region ends whose begin is not in the snapshot")
            unmatchedRegionEnds = 0
        }
        if malformedSpanRecords > 0 {
            warnings.append("\(fileName): dropped \(malformedSpanRecords) span records whose fields do not decode")
            malformedSpanRecords = 0
        }
        if let d = end.damage, damage == nil {
            damage = TraceDamage(file: fileName, offset: d.offset, message: d.message)
        }
        if let declared = end.declaredEvents, damage == nil {
            let seen = recordCounts.reduce(0, +)
            if declared != seen {
                warnings.append("\(fileName): end frame declares \(declared) events, read \(seen)")
            }
        }
    }
}
