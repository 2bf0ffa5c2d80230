// The window fold's C fast path (fold_scan.c) against the general Swift path: the same window
// state, record for record, on random chunks, whole, cut short and with bytes flipped.

@testable import FlightRecorder
import Testing
import TraceFormat
import CFlightRecorder

extension Recorder.WindowStart {
    /// A deterministic generator (SplitMix64), so a failure repeats.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }
    }

    /// A chunk of random records: mostly region begins and ends (nested, sometimes closed out
    /// of order or by another owner), logs and counters, with task and scheduling records
    /// (actor waits and runs, suspensions), inline names, long time deltas and 10-byte varints
    /// mixed in, so the fast path both runs and stops.
    static func randomChunk(thread: UInt64, sequence: UInt64, records: Int, chaos: Bool, _ random: inout Random) -> [UInt8] {
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: records * 320 + 64)  // a record takes at most ~260 bytes
        defer { buffer.deallocate() }
        var q = EventChunkHeader(thread: thread, sequence: sequence, baseTicks: 1000).write(at: buffer)
        let tasks: [UInt64] = chaos ? [0, 0, 0, 5, 6, (1 << 62) + 9, 1 << 63 | 3] : [0, 0, 0, 5, 6, (1 << 62) + 9]
        let deltas: [UInt64] = [0, 1, 2, 3, 90, 200, 70_000, 1 << 40]
        var open: [(task: UInt64, name: UInt64)] = []
        var task = random.pick(tasks)
        let inlineNames = ["x", "yy", "zzz"]
        /// A region begin (stack 0) or end with one of `inlineNames` written inline.
        func inlineRegion(_ kind: EventKind, dt: UInt64, task: UInt64) {
            random.pick(inlineNames).utf8CString.withUnsafeBytes { raw in
                q = EventRecord.header(kind, dt: dt, at: q)
                q = Varint.write(task, at: q)
                q = StringRef.writeInline(UnsafeRawBufferPointer(rebasing: raw.dropLast()), at: q)
                if kind == .regionBegin { q = Varint.write(0, at: q) }
            }
        }
        for _ in 0..<records {
            let dt = random.pick(deltas)
            if random.below(40) == 0 { task = random.pick(tasks) }
            switch random.below(46) {
            case 0..<14:
                let name = UInt64(1 + random.below(4))
                if chaos && random.below(10) == 0 {
                    inlineRegion(.regionBegin, dt: dt, task: task)
                } else {
                    q = EventRecord.regionBegin(dt: dt, task: task, nameRef: StringRef.interned(name),
                                                stack: UInt64(random.below(3)), blocking: random.below(5) == 0, at: q)
                    open.append((task, name))
                }
            case 14..<28:
                // Usually the innermost open region of the task, sometimes another one or none.
                var name = UInt64(1 + random.below(4))
                if !chaos || random.below(12) != 0, let i = open.lastIndex(where: { $0.task == task }) {
                    name = open.remove(at: i).name
                } else if !chaos {
                    continue  // nothing of this task is open: no stray end in a clean chunk
                }
                if chaos && random.below(12) == 0 {
                    inlineRegion(.regionEnd, dt: dt, task: task)
                } else {
                    q = EventRecord.regionEnd(dt: dt, task: task, nameRef: StringRef.interned(name), at: q)
                }
            case 28..<32:
                let message = String(repeating: "m", count: random.pick([0, 5, 200]))
                let category = random.below(4) == 0 ? UInt64(9) << 1 | 1 : StringRef.interned(UInt64(random.below(3)))
                message.utf8CString.withUnsafeBytes { raw in
                    let text = UnsafeRawBufferPointer(rebasing: raw.dropLast())
                    if category & 1 == 1 {  // an inline category of 9 bytes
                        q = EventRecord.header(.log, dt: dt, at: q)
                        q = Varint.write(task, at: q)
                        "category!".utf8CString.withUnsafeBytes { c in
                            q = StringRef.writeInline(UnsafeRawBufferPointer(rebasing: c.dropLast()), at: q)
                        }
                        q = Varint.write(UInt64(text.count), at: q)
                        q = copyBytes(text, to: q)
                    } else {
                        q = EventRecord.log(dt: dt, task: task, categoryRef: category, message: text, at: q)
                    }
                }
            case 32, 33:
                q = random.below(2) == 0
                    ? EventRecord.counter(dt: dt, nameRef: StringRef.interned(7), value: Int64(bitPattern: random.next()), at: q)
                    : EventRecord.counter(dt: dt, nameRef: StringRef.interned(7), value: Double(random.below(1000)), at: q)
            case 34:
                q = EventRecord.task(.jobCPUTime, dt: dt, task: task, random.next() >> random.below(64), at: q)
            case 35:
                q = EventRecord.taskCreated(dt: dt, task: task, parent: 0, name: nil, nameID: 2, group: nil, groupID: 2, at: q)
            case 36:
                q = EventRecord.task(random.pick([.taskRunning, .taskEnded, .taskSyscall]), dt: dt, task: task, at: q)
            case 37:
                q = EventRecord.task(.taskBlocked, dt: dt, task: task, StringRef.interned(3), at: q)
            case 40:
                q = EventRecord.actor(random.pick([.actorWait, .actorRun]), dt: dt, task: task, actor: 0x7F00_1234,
                                      typeRef: StringRef.interned(UInt64(random.below(3))), at: q)
            case 41 where chaos:
                // An actor record with its type written inline (the fast path leaves it).
                let type = random.pick(inlineNames)
                q = EventRecord.extensionHeader(random.pick([.actorWait, .actorRun]), dt: dt, task: task,
                                                length: Varint.length(of: task) + 1 + 1 + type.utf8.count, at: q)
                q = Varint.write(0, at: q)
                type.utf8CString.withUnsafeBytes { raw in
                    q = StringRef.writeInline(UnsafeRawBufferPointer(rebasing: raw.dropLast()), at: q)
                }
            case 42:
                q = EventRecord.taskSuspension(dt: dt, task: task, stack: UInt64(random.below(200)), at: q)
            case 43:
                q = EventRecord.task(.taskBlocked, dt: dt, task: task, StringRef.interned(0), at: q)
            default:
                q = EventRecord.task(.taskRunnable, dt: dt, task: task, 0, at: q)
            }
        }
        return Array(UnsafeBufferPointer(start: buffer, count: q - buffer))
    }

    @Test("the C fast path folds exactly as the general path: random chunks, whole, cut short and damaged")
    func fastPathMatchesGeneralPath() {
        var random = Random(state: 0x5EED)
        let strings = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        var fastRecords = 0
        var records = 0
        for round in 0..<300 {
            var fast = WindowFold()
            var general = WindowFold()
            general.usesFastPath = false
            for i in 0..<6 {
                let thread = UInt64(1 + i % 3)
                let count = 1 + random.below(400)
                let chaos = round % 8 >= 4
                if !chaos { records += count }
                var chunk = Self.randomChunk(thread: thread, sequence: UInt64(i), records: count, chaos: chaos, &random)
                switch round % 4 {
                case 1: chunk = Array(chunk.prefix(1 + random.below(chunk.count)))  // cut anywhere
                case 2: chunk[3 + random.below(chunk.count - 3)] ^= UInt8(1 << random.below(8))  // one bit flipped
                default: break
                }
                let final = random.below(10) == 0
                fast.apply(payload: chunk, final: final)
                general.apply(payload: chunk, final: final)
                #expect(fast.windowState(strings: strings) == general.windowState(strings: strings), "round \(round), chunk \(i)")
            }
            #expect(fast.damagedChunks == general.damagedChunks, "round \(round)")
            #expect(general.fastPathRecords == 0)
            if round % 8 < 4 { fastRecords += fast.fastPathRecords }
        }
        // The comparison means something only if the fast path took a good share of the records
        // (of the clean rounds: in the others stray ends soon turn it off for their owners).
        #expect(fastRecords > records / 2)
    }

    @Test("the fast path takes a chunk of one thread's region pairs, logs and counters whole")
    func fastPathTakesTheCommonChunk() {
        var builder = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        var t: UInt64 = 100
        for i in 0..<1000 {
            t += 3
            builder.regionBegin(at: t, task: 0, name: 1)
            builder.log(at: t + 1, task: 0, category: 2, message: "served \(i)")
            builder.counter(at: t + 2, name: 3, value: Int64(i))
            builder.regionEnd(at: t + 2, task: 0, name: 1)
        }
        builder.regionBegin(at: t + 5, task: 0, name: 4)  // left open
        var fold = WindowFold()
        fold.apply(payload: builder.bytes, final: false)
        // All but the first region begin, which grows the owner's stack on the general path.
        #expect(fold.fastPathRecords == 4000)
        let state = fold.windowState(strings: ["a", "b", "c", "still open"])
        #expect(state.regions.map(\.name) == ["still open"])
        #expect(state.regions.first?.beginTicks == t + 5)
        #expect(state.regions.first?.thread == 1)
    }
}

extension Recorder.WindowStart {
    @Test("evicted chunks of logs, counters and balanced synchronous regions are not folded; a region's end among them still closes it")
    func statelessChunksAreSkipped() throws {
        let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 16 << 10, chunkBytes: 4 << 10))
        try recorder.start()
        defer { recorder.stop() }
        let thread = TestThread(name: "flood") {
            Trace.withRegion("closed early") {
                for i in 0..<5_000 { Trace.counter("filler", i) }
            }  // this end shares a chunk with counters only: that chunk must be folded
            for i in 0..<5_000 { Trace.counter("filler", i) }
            Trace.withRegion("still open") {
                for i in 0..<50_000 {
                    Trace.counter("filler", i)
                    if i % 7 == 0 { Trace.log(category: "flood", "line") }
                    // Regions of synchronous closures that begin and end in one chunk leave it
                    // stateless; the few cut by a chunk boundary make theirs stateful.
                    if i % 5 == 0 { Trace.withRegion("inner") { Trace.withRegion("innermost") { Trace.counter("nested", i) } } }
                }
                let snapshot = try! DecodedSnapshot(try! recorder.snapshot())
                #expect(!snapshot.allEvents.contains { $0.event.kind == .regionBegin && $0.event.name == "still open" })
                // "closed early" is gone; an "inner" region cut by the window start may be open.
                let open = snapshot.windowState.regions.map(\.name)
                #expect(open.first == "still open")
                #expect(open.dropFirst().allSatisfy { $0 == "inner" || $0 == "innermost" }, "\(open)")
                #expect(snapshot.windowState.threads.contains { $0.name == "flood" })
            }
        }
        thread.join()
        let skipped = RecorderCore.shared.foldLock.withLock { RecorderCore.shared.fold.skippedChunks }
        #expect(skipped > 20)
    }
}

extension Recorder.WindowStart {
    @Test("folding only a chunk's marked parts leaves the state the whole chunk leaves: nested synchronous regions across chunk boundaries")
    func foldPartsMatchWholeChunks() throws {
        let recorder = FlightRecorder(configuration: .init(minAge: .seconds(3600), maxBytes: 64 << 20, chunkBytes: 4 << 10))
        try recorder.start()
        defer { recorder.stop() }
        let names: [StaticString] = ["a", "b", "c", "d"]
        TestThread(name: "parts") {
            var random = Random(state: 11)
            var n = 0
            func nest(_ depth: Int) {
                for _ in 0..<random.below(depth == 0 ? 6 : 4) {
                    n += 1
                    switch random.below(20) {
                    case 0..<8 where depth < 8: Trace.withRegion(names[random.below(4)]) { nest(depth + 1) }
                    case 8 where depth < 8: Trace.withBlockingRegion("wait") { nest(depth + 1) }
                    case 9 where random.below(40) == 0:
                        Trace.withRegion(named: "inline \(n % 3)") { nest(depth + 1) }  // a stateful chunk
                    case 9 where random.below(40) == 1:
                        // The thread's name again, as worker threads announce it: read in the
                        // prefix, or the chunk read whole when a region begun in it is open.
                        "parts".utf8CString.withUnsafeBytes { name in
                            let text = UnsafeRawBufferPointer(rebasing: name.dropLast())
                            if let s = Emit.reserve(extra: text.count) { Emit.threadName(text, into: s) }
                        }
                    case 10..<15: Trace.counter("count", n)
                    default: Trace.log(category: "log", "line")
                    }
                }
            }
            for _ in 0..<4_000 { nest(0) }
        }.join()
        let (chunks, strings) = RecorderCore.shared.ringLock.withLock { (RecorderCore.shared.sealed, StringTable.shared.all()) }
        #expect(chunks.count > 50)
        var byParts = WindowFold()
        var whole = WindowFold()
        for c in chunks {
            byParts.apply(chunk: c)
            let used = Int(fr_chunk_published(c) & 0xFFFF_FFFF)
            whole.apply(payload: UnsafeRawBufferPointer(start: fr_chunk_data(c), count: used),
                        final: c.pointee.flags & UInt64(FR_CHUNK_FINAL) != 0)
            #expect(byParts.windowState(strings: strings) == whole.windowState(strings: strings))
        }
        #expect(byParts.damagedChunks == 0 && whole.damagedChunks == 0)
        // Both kinds of shortcut were taken, and some chunks were read whole.
        #expect(byParts.partialChunks > 5)
        #expect(byParts.partialChunks + byParts.skippedChunks < chunks.count)
    }
}
