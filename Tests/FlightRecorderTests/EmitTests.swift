// Every record kind the emission layer writes decodes as TraceFormat says, and the recorder's
// fast scanner reads exactly what EventDecoder reads.

import CFlightRecorder
@testable import FlightRecorder
import Synchronization
import Testing
import TraceFormat

extension Recorder {
    @Suite struct Emission {
        static func emitEveryKind() {
            let name = Names.id("emit test task")
            Emit.taskCreated(task: 11, parent: 3, name: name, group: name)
            "dynamic-task".utf8CString.withUnsafeBytes { raw in
                Emit.taskCreated(task: 12, parent: 11, inlineName: UnsafeRawBufferPointer(rebasing: raw.dropLast()), group: 0)
            }
            Emit.taskRunnable(task: 11, waker: 12)
            Emit.taskRunning(task: 11)
            Emit.taskSyscall(task: 11)
            Emit.taskBlocked(task: 11, reason: Names.id("sleep"))
            Emit.jobCPUTime(task: 11, cpuNs: 123_456)
            Emit.regionBegin(task: 11, name: Names.id("interned region"))
            Emit.regionBegin(task: 11, name: "static region", blocking: true)
            Array("inline region".utf8).withUnsafeBytes { Emit.regionBegin(task: 11, inlineName: $0, stack: 0) }
            Array("inline region".utf8).withUnsafeBytes { Emit.regionEnd(task: 11, inlineName: $0) }
            Emit.regionEnd(task: 11, name: "static region")
            Emit.regionEnd(task: 11, name: Names.id("interned region"))
            Array("a log message".utf8).withUnsafeBytes { Emit.log(task: 11, category: "cat", message: $0) }
            Emit.counter(name: "int counter", value: Int64(-5))
            Emit.counter(name: "float counter", value: 2.5)
            Emit.taskEnded(task: 12)
            Emit.taskEnded(task: 11)
        }

        @Test("each emitted record kind decodes with the fields it was given")
        func everyKindDecodes() throws {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let thread = TestThread(name: "emitter") { Self.emitEveryKind() }
            thread.join()
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let events = snapshot.allEvents.filter { $0.event.task == 11 || $0.event.task == 12 || $0.event.kind == .counterInt
                || $0.event.kind == .counterFloat || $0.event.kind == .threadName }.map(\.event)
            let kinds = events.map(\.kind)
            #expect(kinds.contains(.threadName))
            let expected: [EventKind] = [.taskCreated, .taskCreated, .taskRunnable, .taskRunning, .taskSyscall, .taskBlocked,
                                         .jobCPUTime, .regionBegin, .blockingRegionBegin, .regionBegin, .regionEnd, .regionEnd,
                                         .regionEnd, .log, .counterInt, .counterFloat, .taskEnded, .taskEnded]
            #expect(kinds.filter { $0 != .threadName } == expected)
            let byKind = Dictionary(grouping: events, by: \.kind)
            #expect(byKind[.taskCreated]![0].name == "emit test task")
            #expect(byKind[.taskCreated]![0].other == 3)
            #expect(byKind[.taskCreated]![1].name == "dynamic-task")
            #expect(byKind[.taskRunnable]![0].other == 12)
            #expect(byKind[.taskBlocked]![0].name == "sleep")
            #expect(byKind[.jobCPUTime]![0].other == 123_456)
            #expect(byKind[.blockingRegionBegin]![0].name == "static region")
            #expect(byKind[.regionEnd]!.map { $0.name } == ["inline region", "static region", "interned region"])
            #expect(byKind[.log]![0].message == "a log message")
            #expect(byKind[.log]![0].name == "cat")
            #expect(byKind[.counterInt]![0].intValue == -5)
            #expect(byKind[.counterFloat]![0].floatValue == 2.5)
            // Other threads (Dispatch's) may be named in the same snapshot: the emitter's is one.
            #expect(events.contains { $0.kind == .threadName && $0.name == "emitter" })
        }

        @Test("the fold's scanner reads every record exactly as EventDecoder does")
        func scannerMatchesDecoder() throws {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let thread = TestThread(name: "scanner") {
                for _ in 0..<3 { Self.emitEveryKind() }
                for i in 0..<500 { Emit.counter(name: "spread", value: Int64(i) << 40) }
            }
            thread.join()
            let bytes = try recorder.snapshot()
            let reader = try FrameReader(source: ByteSource(bytes: bytes))
            var compared = 0
            while let frame = try reader.next() {
                guard frame.knownKind == .events else { continue }
                var decoder = try EventDecoder(payload: frame.payload)
                try frame.payload.withUnsafeBytes { raw in
                    var scanner = try #require(RecordScanner(raw))
                    #expect(scanner.header == decoder.header)
                    var r = ScannedRecord()
                    while let e = try decoder.next() {
                        let more = scanner.next(&r)
                        #expect(more)
                        #expect(r.kind == e.kind && r.ticks == e.ticks && r.task == e.task)
                        switch e.kind {
                        case .taskCreated, .taskRunnable, .jobCPUTime, .regionBegin, .blockingRegionBegin:
                            #expect(r.other == e.other)
                        default: break
                        }
                        switch e.name {
                        case .none: break
                        case .interned(let id): #expect(r.name.id == id && r.name.inline == nil)
                        case .inline(let range): #expect(r.name.inline.map { Array($0) } == Array(frame.payload[range]))
                        }
                        compared += 1
                    }
                    let extra = scanner.next(&r)
                    #expect(!extra)
                    #expect(!scanner.damaged)
                }
            }
            #expect(compared > 500)
        }

        @Test("the scanner stops at damage without reading past the payload")
        func scannerDamage() {
            var payload: [UInt8] = [1, 0, 10]  // thread 1, sequence 0, base 10
            payload += [0x09, 0x01, 0x00, 0x01, 0x7F]  // a log claiming a 127-byte message
            payload.withUnsafeBytes { raw in
                var scanner = RecordScanner(raw)!
                var r = ScannedRecord()
                let read = scanner.next(&r)
                #expect(!read)
                #expect(scanner.damaged)
            }
        }
    }
}

extension Recorder.Emission {
    @Test("a task announced by an executor is the task of annotations on that thread until withdrawn")
    func announcedRunningTask() throws {
        let recorder = FlightRecorder()
        try recorder.start()
        defer { recorder.stop() }
        let thread = TestThread(name: "executor") {
            Emit.taskRunning(task: 77)
            let previous = TaskIdentity.announceRunningTask(77)
            Trace.withRegion("in job") {}
            TaskIdentity.announceRunningTask(previous)
            Trace.withRegion("after job") {}
        }
        thread.join()
        let snapshot = try DecodedSnapshot(try recorder.snapshot())
        let begins = snapshot.allEvents.filter { $0.event.kind == .regionBegin }.map(\.event)
        #expect(begins.first { $0.name == "in job" }?.task == 77)
        #expect(begins.first { $0.name == "after job" }?.task == 0)
    }
}

extension Recorder.Emission {
    /// Writes `fields` as a span record's fields.
    static func spanFields(_ fields: [UInt8]) -> (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        { p in
            fields.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: fields.count) }
            return p + fields.count
        }
    }

    @Test("a span's start is taskCreated, regionBegin and spanStart at one instant, its end regionEnd, spanEnd and taskEnded")
    func spanStartAndEndAreOneAppendEach() throws {
        let recorder = FlightRecorder()
        try recorder.start()
        defer { recorder.stop() }
        let start: [UInt8] = [1, 2, 3], end: [UInt8] = [4, 5, 6, 7]
        let thread = TestThread(name: "spans") {
            Emit.taskRunning(task: 40)
            let previous = TaskIdentity.announceRunningTask(40)
            let server = Trace.beginSpan(named: "GET /server", opensTask: true, fieldsLength: start.count,
                                         Self.spanFields(start))
            let inner = Trace.beginSpan(named: "inner", opensTask: false, fieldsLength: start.count, Self.spanFields(start))
            _ = Trace.endSpan(inner, maxFieldsLength: end.count, Self.boundedFields(end))
            _ = Trace.endSpan(server, maxFieldsLength: end.count, Self.boundedFields(end))
            TaskIdentity.announceRunningTask(previous)
        }
        thread.join()
        let snapshot = try DecodedSnapshot(try recorder.snapshot())
        #expect(snapshot.declaredEvents == snapshot.chunks.reduce(0) { $0 + $1.events.count })
        let chunk = try #require(snapshot.chunks.first { $0.events.contains { $0.kind == .spanStart } })
        let events = chunk.events.drop { $0.kind != .taskCreated }
        let created = try #require(events.first)
        let request = created.task
        #expect(request != 40 && created.other == 40 && created.name == "GET /server" && created.group == "GET /server")
        let kinds = events.prefix(9).map(\.kind)
        #expect(kinds == [.taskCreated, .regionBegin, .spanStart, .regionBegin, .spanStart,
                          .regionEnd, .spanEnd, .regionEnd, .spanEnd])
        let records = Array(events.prefix(10))
        #expect(records.count == 10 && records[9].kind == .taskEnded && records[9].task == request)
        // One instant per append.
        #expect(records[0].ticks == records[1].ticks && records[1].ticks == records[2].ticks)
        #expect(records[5].ticks == records[6].ticks && records[7].ticks == records[8].ticks
                && records[8].ticks == records[9].ticks)
        // Regions on the task the span started on; span records on the request's task (the
        // server span) or that task (the inner one).
        #expect(records[1].task == 40 && records[1].name == "GET /server" && records[3].name == "inner")
        #expect(records.filter { $0.kind == .regionBegin || $0.kind == .regionEnd }.allSatisfy { $0.task == 40 })
        #expect(records[2].task == request && records[6].task == 40 && records[8].task == request)
        #expect(records[4].task == 40)
    }

    /// Writes `fields` as a span record's fields when they fit before the bound.
    static func boundedFields(_ fields: [UInt8]) -> SpanFieldsWriter {
        { p, limit in
            guard fields.count <= limit - p else { return nil }
            fields.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: fields.count) }
            return p + fields.count
        }
    }

    /// Logs on this thread until its chunk has fewer than `bytes` bytes of room left.
    static func fillChunk(untilRoomBelow bytes: Int) {
        func room() -> Int {
            guard let s = fr_current_state(), let limit = fr_state_limit(s), let write = s.pointee.write else { return .max }
            return limit - write
        }
        let message = [UInt8](repeating: UInt8(ascii: "f"), count: 24)
        while room() >= bytes {
            message.withUnsafeBytes { Emit.log(task: 0, category: "fill", message: $0) }
        }
    }

    @Test("a span's end written before a bound is appended whole: in its chunk's last room when it fits there, else in a fresh chunk; past the bound, not at all")
    func boundedSpanEnds() throws {
        let recorder = FlightRecorder(configuration: .init(chunkBytes: 4 << 10))
        try recorder.start()
        defer { recorder.stop() }
        let short = [UInt8](repeating: UInt8(ascii: "s"), count: 100)
        let long = [UInt8](repeating: UInt8(ascii: "l"), count: 600)
        let outcomes = Mutex<[SpanRecordAppend]>([])
        let thread = TestThread(name: "bounded ends") {
            let spans = (0..<3).map { _ in
                Trace.beginSpan(named: "bounded", opensTask: false, fieldsLength: 1, Self.spanFields([1]))
            }
            // ~400 bytes left: the short fields fit beside the region's end; the long ones do not.
            Self.fillChunk(untilRoomBelow: 400)
            let first = Trace.endSpan(spans[0], maxFieldsLength: 1024, Self.boundedFields(short))
            Self.fillChunk(untilRoomBelow: 400)
            let second = Trace.endSpan(spans[1], maxFieldsLength: 1024, Self.boundedFields(long))
            let third = Trace.endSpan(spans[2], maxFieldsLength: 1024, Self.boundedFields([UInt8](repeating: 0, count: 2_000)))
            outcomes.withLock { $0 = [first, second, third] }
        }
        thread.join()
        #expect(outcomes.withLock { $0 } == [.appended, .appended, .tooLong])
        let snapshot = try DecodedSnapshot(try recorder.snapshot())
        #expect(snapshot.declaredEvents == snapshot.chunks.reduce(0) { $0 + $1.events.count })
        let chunks = snapshot.chunks.filter { $0.events.contains { $0.kind == .spanEnd } }
        #expect(chunks.count == 2)
        let ends = chunks.flatMap { $0.events.filter { $0.kind == .spanEnd } }
        #expect(ends.map(\.message) == [String(decoding: short, as: UTF8.self), String(decoding: long, as: UTF8.self)])
        // The short end follows logs in its chunk; the long one opens a fresh chunk (after the
        // chunk's header records: a thread's name, the span's region end).
        let first = try #require(chunks.first?.events)
        let shortAt = try #require(first.firstIndex { $0.kind == .spanEnd })
        #expect(first[..<shortAt].contains { $0.kind == .log })
        let second = try #require(chunks.last?.events)
        let longAt = try #require(second.firstIndex { $0.kind == .spanEnd })
        #expect(!second[..<longAt].contains { $0.kind == .log })
        #expect(chunks[1].header.sequence > chunks[0].header.sequence)
        // Two region ends: the span whose fields were too long left nothing.
        #expect(snapshot.allEvents.filter { $0.event.kind == .regionEnd && $0.event.name == "bounded" }.count == 2)
    }

    @Test("while nothing records, a span's start records nothing and its end appends nothing")
    func spanNotRecorded() throws {
        let span = Trace.beginSpan(named: "quiet", opensTask: true, fieldsLength: 1, Self.spanFields([9]))
        #expect(span.task.id == 0 && !span.region.recorded)
        let recorder = FlightRecorder()
        try recorder.start()
        defer { recorder.stop() }
        let thread = TestThread(name: "late end") {
            _ = Trace.endSpan(span, maxFieldsLength: 1, Self.boundedFields([9]))
        }
        thread.join()
        let snapshot = try DecodedSnapshot(try recorder.snapshot())
        let kinds = snapshot.allEvents.map(\.event.kind)
        // The end record alone: no region or task was begun.
        #expect(kinds.filter { $0 == .spanEnd }.count == 1)
        #expect(!kinds.contains(.regionEnd) && !kinds.contains(.taskEnded))
    }
}
