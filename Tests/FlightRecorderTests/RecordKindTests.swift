// The events frame's record kinds, one specification and four implementations: every kind of
// Schemas/snapshot-format.md (section 7) is encoded by the recorder's own append functions
// (Emit, ActorHops, TaskOrigins, SuspensionPoints, over TraceFormat's EventRecord), and
// - its bytes must be what the specification's field list gives for the values appended,
// - TraceFormat's EventDecoder (the converter's reader) must give back each field,
// - the recorder's RecordScanner (the window fold) must give back the fields it reads, or pass
//   over the kinds it does not read by their length,
// - fold_scan.c (the fold's fast path) must consume exactly the record or leave it to the
//   scanner, as its header promises.
// A kind added to EventKind without a row in the specification, a row without a kind, a field
// added to one side only, or a decoder that reads a kind differently from the encoder, fails
// here. The checklist for changing the format is in Schemas/snapshot-format.md.

import CFlightRecorder
import Foundation
@testable import FlightRecorder
import Testing
import TraceFormat

/// One field of a record kind as the specification's tables write it: `task`, `name(strref)`,
/// `message(length bytes of UTF-8)`; a field with no type is a `uvarint`.
struct SpecField: Equatable, CustomStringConvertible {
    var name: String
    var type: String

    var description: String { type == "uvarint" ? name : "\(name)(\(type))" }
}

/// The record kinds of Schemas/snapshot-format.md, read from its tables.
enum SnapshotFormatSpec {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas/snapshot-format.md").path

    /// Kind code -> fields after `dt` (for extension kinds, 0x40 and above: within `length`), from
    /// every table row of section 7 whose first cell is a kind code.
    static func recordKinds() throws -> [UInt8: [SpecField]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(text.range(of: "## 7. Events frame"))
        let end = try #require(text.range(of: "\n## 8.", range: start.upperBound..<text.endIndex))
        var kinds: [UInt8: [SpecField]] = [:]
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1].hasPrefix("0x"), let code = UInt8(cells[1].dropFirst(2), radix: 16) else {
                continue
            }
            #expect(kinds[code] == nil, "kind 0x\(String(code, radix: 16)) has two rows in the specification")
            kinds[code] = fields(cells[3].trimmingCharacters(in: CharacterSet(charactersIn: "`")))
        }
        return kinds
    }

    /// `task name(strref) stack(uvarint)` -> its fields.
    static func fields(_ layout: String) -> [SpecField] {
        var result: [SpecField] = []
        var rest = Substring(layout)
        while let first = rest.firstIndex(where: { !$0.isWhitespace }) {
            rest = rest[first...]
            let nameEnd = rest.firstIndex(where: { $0 == "(" || $0.isWhitespace }) ?? rest.endIndex
            let name = String(rest[..<nameEnd])
            rest = rest[nameEnd...]
            var type = "uvarint"
            if rest.first == "(", let close = rest.firstIndex(of: ")") {
                type = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            }
            result.append(SpecField(name: name, type: type))
        }
        return result
    }
}

/// A field's value in a sample record.
enum SampleValue: Sendable, Equatable {
    case uint(UInt64)
    case int(Int64)
    case float(Double)
    /// A string reference to an interned string.
    case interned(UInt64)
    /// A string reference with the bytes inline.
    case inline(String)
    /// Plain UTF-8 bytes (a log's message).
    case text(String)
    /// The bytes after the task of a span record, in SpanRecord's layout (decoded by SpanRecord,
    /// field by field in SpanRecordTests).
    case spanFields([UInt8])
}

/// One record appended through the recorder, with the value of each of its fields by the
/// specification's field name (`length` fields are derived).
struct SampleRecord: Sendable {
    var kind: EventKind
    var values: [String: SampleValue]
    var append: @Sendable () -> Void
}

// The recorder's append functions, under names the Recorder suites' own do not hide.
private typealias ActorRecords = ActorHops
private typealias OriginRecords = TaskOrigins
private typealias SuspensionRecords = SuspensionPoints

/// What the window fold's fast path (fold_scan.c) does with a record, per fold_scan.h.
enum FastPathAction: Equatable {
    /// Stops at it (p unchanged): the general scanner reads it.
    case declines
    /// Consumes it, nothing kept.
    case consumes
    /// Consumes it and pushes an open region.
    case opensRegion
    /// Consumes it and pops the innermost open region.
    case closesRegion
    /// Consumes it and notes its task's state in the pending table (`fr_fold_task_state`).
    case notesState
}

extension Recorder {
    @Suite struct RecordKinds {
        static let threadName = "record kinds"

        // MARK: what each implementation reads, per kind (exhaustive: a new kind does not compile
        // until it is placed)

        /// Whether the window fold's RecordScanner reads the kind (false: passes over it by its
        /// length, as it keeps nothing of it).
        static func scannerReads(_ kind: EventKind) -> Bool {
            switch kind {
            case .taskCreated, .taskEnded, .taskRunnable, .taskRunning, .taskBlocked, .taskSyscall, .regionBegin,
                 .regionEnd, .log, .counterInt, .counterFloat, .threadName, .jobCPUTime, .blockingRegionBegin,
                 .actorWait, .actorRun:
                true
            case .taskOrigin, .taskSuspension, .spanStart, .spanEnd, .taskName:
                false
            }
        }

        /// What fold_scan.c does with a record of the kind, its owner's, with an interned name.
        static func fastPath(_ kind: EventKind) -> FastPathAction {
            switch kind {
            case .regionBegin, .blockingRegionBegin: .opensRegion
            case .regionEnd: .closesRegion
            case .log, .counterInt, .counterFloat, .jobCPUTime, .taskOrigin, .taskSuspension, .spanStart, .spanEnd,
                 .taskName:
                .consumes
            case .taskRunnable, .taskRunning, .taskBlocked, .taskSyscall, .actorWait, .actorRun: .notesState
            case .taskCreated, .taskEnded, .threadName: .declines
            }
        }

        /// Where decoders put a field of the specification (nil: `length`, framing only).
        enum Slot { case task, other, name, group, scope, message, value }

        static func slot(_ field: String) -> Slot? {
            switch field {
            case "task": .task
            case "parent", "waker", "stack", "cpu-ns", "actor": .other
            case "name", "reason", "category", "type": .name
            case "group": .group
            case "scope": .scope
            case "message", "span fields": .message
            case "value": .value
            default: nil
            }
        }

        /// Span records: `task`, then fields in SpanRecord's own layout, which the tests take
        /// as one field, "span fields".
        static func isSpan(_ kind: EventKind) -> Bool { kind == .spanStart || kind == .spanEnd }

        /// The field names a sample of `kind` gives values for, in record order.
        static func sampleFields(_ kind: EventKind, _ spec: [SpecField]) -> [String] {
            isSpan(kind) ? ["task", "span fields"] : spec.map(\.name).filter { $0 != "length" }
        }

        static let spanIdentity = SpanRecord.Identity(traceHigh: 0x0123_4567_89AB_CDEF, traceLow: 42, span: 7, parent: 0)
        static let spanStartFields = SpanRecord.bytes(SpanRecord.Start(kind: .server, identity: spanIdentity,
                                                                        name: "GET /record-kinds"))
        static let spanEndFields = SpanRecord.bytes(SpanRecord.End(kind: .server, identity: spanIdentity, startNs: 1_000,
                                                                    durationNs: 2_000_000, status: .error,
                                                                    statusMessage: "failed", name: "GET /record-kinds"))

        /// Appends a span record through the recorder's span append function.
        static func appendSpan(_ kind: EventKind, _ fields: [UInt8]) {
            _ = Trace.appendSpanRecord(kind, task: 301, maxFieldsLength: fields.count, Recorder.Emission.boundedFields(fields))
        }

        // MARK: the samples: every kind, through every append function the recorder has for it

        static func samples() -> [SampleRecord] {
            let taskName = Names.id("record kinds task"), group = Names.id("record kinds group")
            let reason = Names.id("record kinds reason"), region = Names.id("record kinds region")
            let category = Names.id("record kinds category"), counter = Names.id("record kinds counter")
            let actorType = Names.id("RecordKindsActor")
            let big: UInt64 = 1 << 40  // a five-byte varint
            @Sendable func bytes(_ s: String, _ body: (UnsafeRawBufferPointer) -> Void) { Array(s.utf8).withUnsafeBytes(body) }
            return [
                SampleRecord(kind: .taskCreated,
                             values: ["task": .uint(301), "parent": .uint(7), "name": .interned(taskName),
                                      "group": .interned(group)]) {
                    Emit.taskCreated(task: 301, parent: 7, name: taskName, group: group)
                },
                SampleRecord(kind: .taskCreated,
                             values: ["task": .uint(302), "parent": .uint(301), "name": .inline("dynamic name"),
                                      "group": .interned(group)]) {
                    bytes("dynamic name") { Emit.taskCreated(task: 302, parent: 301, inlineName: $0, group: group) }
                },
                SampleRecord(kind: .taskCreated,
                             values: ["task": .uint(big), "parent": .uint(302), "name": .inline("named task"),
                                      "group": .inline("named task")]) {
                    bytes("named task") { Emit.namedTaskCreated(task: big, parent: 302, name: $0) }
                },
                SampleRecord(kind: .taskRunnable, values: ["task": .uint(301), "waker": .uint(big)]) {
                    Emit.taskRunnable(task: 301, waker: big)
                },
                SampleRecord(kind: .taskRunning, values: ["task": .uint(301)]) { Emit.taskRunning(task: 301) },
                SampleRecord(kind: .taskSyscall, values: ["task": .uint(301)]) { Emit.taskSyscall(task: 301) },
                SampleRecord(kind: .taskBlocked, values: ["task": .uint(301), "reason": .interned(reason)]) {
                    Emit.taskBlocked(task: 301, reason: reason)
                },
                SampleRecord(kind: .taskBlocked, values: ["task": .uint(301), "reason": .interned(reason)]) {
                    Emit.jobEnd(.taskBlocked, task: 301, reason: reason, ticks: fr_ticks())
                },
                SampleRecord(kind: .taskRunnable, values: ["task": .uint(301), "waker": .uint(301)]) {
                    Emit.jobEnd(.taskRunnable, task: 301, ticks: fr_ticks())
                },
                SampleRecord(kind: .jobCPUTime, values: ["task": .uint(301), "cpu-ns": .uint(123_456_789)]) {
                    Emit.jobCPUTime(task: 301, cpuNs: 123_456_789)
                },
                SampleRecord(kind: .regionBegin,
                             values: ["task": .uint(301), "name": .interned(region), "stack": .uint(5)]) {
                    Emit.regionBegin(task: 301, name: region, stack: 5)
                },
                SampleRecord(kind: .regionEnd, values: ["task": .uint(301), "name": .interned(region)]) {
                    Emit.regionEnd(task: 301, name: region)
                },
                SampleRecord(kind: .blockingRegionBegin,
                             values: ["task": .uint(301), "name": .interned(region), "stack": .uint(0)]) {
                    Emit.regionBegin(task: 301, name: region, blocking: true)
                },
                SampleRecord(kind: .regionEnd, values: ["task": .uint(301), "name": .interned(region)]) {
                    Emit.regionEnd(task: 301, name: region)
                },
                SampleRecord(kind: .regionBegin,
                             values: ["task": .uint(0), "name": .inline("inline region"), "stack": .uint(big)]) {
                    bytes("inline region") { Emit.regionBegin(task: 0, inlineName: $0, stack: big) }
                },
                SampleRecord(kind: .blockingRegionBegin,
                             values: ["task": .uint(0), "name": .inline("inline wait"), "stack": .uint(9)]) {
                    bytes("inline wait") { Emit.regionBegin(task: 0, inlineName: $0, stack: 9, blocking: true) }
                },
                SampleRecord(kind: .regionEnd, values: ["task": .uint(0), "name": .inline("inline wait")]) {
                    bytes("inline wait") { Emit.regionEnd(task: 0, inlineName: $0) }
                },
                SampleRecord(kind: .regionEnd, values: ["task": .uint(0), "name": .inline("inline region")]) {
                    bytes("inline region") { Emit.regionEnd(task: 0, inlineName: $0) }
                },
                SampleRecord(kind: .log,
                             values: ["task": .uint(301), "category": .interned(category), "message": .text("a log message")]) {
                    bytes("a log message") { Emit.log(task: 301, category: category, message: $0) }
                },
                SampleRecord(kind: .log,
                             values: ["task": .uint(301), "category": .interned(category), "message": .text("short one")]) {
                    // The small-String path: two words stored whole, the first nine bytes the message.
                    var raw = [UInt8](repeating: 0, count: 16)
                    raw.replaceSubrange(0..<9, with: Array("short one".utf8))
                    let words = raw.withUnsafeBytes {
                        (UInt64(littleEndian: $0.load(as: UInt64.self)), UInt64(littleEndian: $0.load(fromByteOffset: 8, as: UInt64.self)))
                    }
                    Emit.log(task: 301, category: category, messageWords: words,
                             count: 9, ticks: fr_ticks())
                },
                SampleRecord(kind: .counterInt, values: ["name": .interned(counter), "value": .int(-123_456_789)]) {
                    Emit.counter(name: counter, value: Int64(-123_456_789))
                },
                SampleRecord(kind: .counterFloat, values: ["name": .interned(counter), "value": .float(-2.75)]) {
                    Emit.counter(name: counter, value: -2.75)
                },
                SampleRecord(kind: .threadName, values: ["name": .inline("renamed worker")]) {
                    bytes("renamed worker") { Emit.threadName($0, into: Emit.reserve()!) }
                },
                SampleRecord(kind: .actorWait,
                             values: ["task": .uint(301), "actor": .uint(0x7F12_3456_7890), "type": .interned(actorType)]) {
                    ActorRecords.append(.actorWait, task: 301, actor: 0x7F12_3456_7890, type: actorType, Emit.reserve()!)
                },
                SampleRecord(kind: .actorRun,
                             values: ["task": .uint(301), "actor": .uint(0x7F12_3456_7890), "type": .interned(actorType)]) {
                    ActorRecords.append(.actorRun, task: 301, actor: 0x7F12_3456_7890, type: actorType, Emit.reserve()!)
                },
                SampleRecord(kind: .actorRun, values: ["task": .uint(301), "actor": .uint(0), "type": .interned(0)]) {
                    ActorRecords.append(.actorRun, task: 301, actor: 0, type: 0, Emit.reserve()!)
                },
                SampleRecord(kind: .taskOrigin, values: ["task": .uint(303), "stack": .uint(12), "scope": .uint(big)]) {
                    OriginRecords.append(task: 303, stack: 12, scope: big, Emit.reserve()!)
                },
                SampleRecord(kind: .taskSuspension, values: ["task": .uint(301), "stack": .uint(130)]) {
                    SuspensionRecords.append(task: 301, stack: 130, ticks: fr_ticks(), Emit.reserve()!)
                },
                SampleRecord(kind: .spanStart, values: ["task": .uint(301), "span fields": .spanFields(spanStartFields)]) {
                    appendSpan(.spanStart, spanStartFields)
                },
                SampleRecord(kind: .spanEnd, values: ["task": .uint(301), "span fields": .spanFields(spanEndFields)]) {
                    appendSpan(.spanEnd, spanEndFields)
                },
                SampleRecord(kind: .taskName, values: ["task": .uint(301), "name": .inline("GET /record-kinds/{id}")]) {
                    Trace.renameTask(OpenTask(id: 301), to: "GET /record-kinds/{id}")
                },
                SampleRecord(kind: .taskEnded, values: ["task": .uint(big)]) { Emit.taskEnded(task: big) },
                SampleRecord(kind: .taskEnded, values: ["task": .uint(301)]) {
                    Emit.jobEnd(.taskEnded, task: 301, ticks: fr_ticks())
                },
            ]
        }

        // MARK: the specification's table and EventKind agree

        @Test("every kind of EventKind has a row in the specification's tables, and every row a kind")
        func specificationListsEveryKind() throws {
            let spec = try SnapshotFormatSpec.recordKinds()
            let codes = Set(EventKind.allCases.map(\.rawValue))
            #expect(Set(spec.keys) == codes)
            #expect(spec.count >= 18)
        }

        @Test("the samples cover every kind, each with exactly the fields the specification lists")
        func samplesFollowSpecification() throws {
            let spec = try SnapshotFormatSpec.recordKinds()
            let samples = Self.samples()
            #expect(Set(samples.map(\.kind)) == Set(EventKind.allCases))
            for sample in samples {
                let fields = try #require(spec[sample.kind.rawValue], "\(sample.kind) has no row in the specification")
                let named = Set(Self.sampleFields(sample.kind, fields))
                #expect(Set(sample.values.keys) == named, "\(sample.kind): sample fields vs specification")
                for name in named {
                    #expect(Self.slot(name) != nil, "\(sample.kind): no decoder slot for field `\(name)`")
                }
                if Self.isSpan(sample.kind) {
                    #expect(fields.first?.name == "task" && fields.count > 2, "\(sample.kind): task, then the span's fields")
                }
            }
        }

        // MARK: encoder, decoders and fast path agree, kind by kind

        @Test("each kind appended by the recorder is the specification's bytes, and EventDecoder, RecordScanner and fold_scan.c read it back")
        func everyKindRoundTripsThroughEveryDecoder() throws {
            let spec = try SnapshotFormatSpec.recordKinds()
            let samples = Self.samples()
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let thread = TestThread(name: Self.threadName) { for sample in samples { sample.append() } }
            thread.join()
            let bytes = try recorder.snapshot()

            let reader = try FrameReader(source: ByteSource(bytes: bytes))
            var checked = 0
            while let frame = try reader.next() {
                guard frame.knownKind == .events else { continue }
                var probe = try EventDecoder(payload: frame.payload)
                var ours = false
                while !ours, let e = try probe.next() { ours = e.task == 301 }
                guard ours else { continue }
                try check(frame.payload, samples: samples, spec: spec)
                checked += 1
            }
            #expect(reader.damage == nil)
            #expect(checked == 1, "the samples fit one chunk")
        }

        /// A decoded record and where it lies in its payload.
        struct Located {
            var event: DecodedEvent
            var range: Range<Int>
            var previousTicks: UInt64
        }

        func check(_ payload: [UInt8], samples: [SampleRecord], spec: [UInt8: [SpecField]]) throws {
            // EventDecoder, with each record's byte range.
            var decoder = try EventDecoder(payload: payload)
            var all: [Located] = []
            var previous = decoder.header.baseTicks
            var start = decoder.offset
            while let e = try decoder.next() {
                all.append(Located(event: e, range: start..<decoder.offset, previousTicks: previous))
                previous = e.ticks
                start = decoder.offset
            }
            #expect(decoder.skippedRecords == 0)
            // The chunk's own thread name (written when the thread's first chunk is taken) is not a sample.
            let records = all.filter { r in
                !(r.event.kind == .threadName && text(r.event.name, payload) == Self.threadName)
            }
            try #require(records.count == samples.count, "records \(records.map(\.event.kind)) vs samples")

            for (record, sample) in zip(records, samples) {
                let e = record.event
                #expect(e.kind == sample.kind)
                let fields = try #require(spec[sample.kind.rawValue])
                // The encoder: the bytes after kind and dt are what the specification says.
                var p = record.range.lowerBound + 1
                _ = uvarint(payload, &p)
                #expect(Array(payload[p..<record.range.upperBound]) == Self.encode(sample, fields),
                        "\(sample.kind): encoded bytes differ from the specification's layout")
                // EventDecoder: every field.
                for name in Self.sampleFields(sample.kind, fields) {
                    guard let slot = Self.slot(name) else { continue }
                    let value = try #require(sample.values[name])
                    if case .spanFields(let bytes) = value {
                        #expect(Array(payload[e.message]) == bytes, "\(sample.kind): EventDecoder's span fields")
                        if sample.kind == .spanStart {
                            #expect(try SpanRecord.decodeStart(payload, fields: e.message).name == "GET /record-kinds")
                        } else {
                            #expect(try SpanRecord.decodeEnd(payload, fields: e.message).statusMessage == "failed")
                        }
                        continue
                    }
                    #expect(decoded(e, slot, payload) == value, "\(sample.kind).\(name): EventDecoder")
                }
            }

            // RecordScanner: the fields it reads, and past the kinds it does not.
            try payload.withUnsafeBytes { raw in
                var scanner = try #require(RecordScanner(raw))
                #expect(scanner.header == decoder.header)
                var r = ScannedRecord()
                for record in all where Self.scannerReads(record.event.kind) {
                    let e = record.event
                    let read = scanner.next(&r)
                    try #require(read, "\(e.kind): RecordScanner stopped")
                    #expect(r.kind == e.kind && r.ticks == e.ticks && r.task == e.task && r.other == e.other,
                            "\(e.kind): RecordScanner read \(r.kind) task \(r.task) other \(r.other)")
                    #expect(scanned(r.name) == decodedString(e.name, payload), "\(e.kind).name: RecordScanner")
                    #expect(scanned(r.group) == decodedString(e.group, payload), "\(e.kind).group: RecordScanner")
                }
                let extra = scanner.next(&r)
                #expect(!extra && !scanner.damaged)
            }

            // fold_scan.c: consumes exactly the record, or leaves it whole to the scanner.
            let thread = decoder.header.thread
            payload.withUnsafeBufferPointer { buffer in
                let base = buffer.baseAddress!
                let slots = UnsafeMutablePointer<fr_open_region>.allocate(capacity: 2)
                defer { slots.deallocate() }
                let tasks = UnsafeMutablePointer<fr_fold_task_state>.allocate(capacity: Int(FR_FOLD_TASK_SLOTS))
                defer { tasks.deallocate() }
                for (record, sample) in zip(records, samples) {
                    let e = record.event
                    var expected = Self.fastPath(e.kind)
                    if case .inline = e.name, expected == .opensRegion || expected == .closesRegion { expected = .declines }
                    let open: UInt64 = expected == .closesRegion ? 1 : 0
                    if case .interned(let id) = e.name, expected == .closesRegion {
                        slots[0] = fr_open_region(thread: thread, name: id, stack: 0, begin_ticks: 0, blocking: 0)
                    }
                    tasks.initialize(repeating: fr_fold_task_state(), count: Int(FR_FOLD_TASK_SLOTS))
                    var run = fr_fold_run(p: base + record.range.lowerBound, end: base + record.range.upperBound,
                                          ticks: record.previousTicks, task: e.task, thread: thread, stack: slots,
                                          depth: open, capacity: 2, tasks: tasks, evicted: fr_fold_task_state())
                    let consumed = fr_fold_fast(&run)
                    let at = run.p - base
                    #expect(run.evicted.task == 0, "\(sample.kind): fold_scan.c evicted from an empty table")
                    let noted = (0..<Int(FR_FOLD_TASK_SLOTS)).filter { tasks[$0].task != 0 }
                    if expected == .notesState {
                        let slot = tasks[Int(fr_fold_task_slot(e.task))]
                        var kind = UInt64(e.kind.rawValue)
                        var reason: UInt64 = 0
                        if e.kind == .actorRun { kind = UInt64(EventKind.taskRunning.rawValue) }
                        if e.kind == .taskBlocked || e.kind == .actorWait, case .interned(let id) = e.name { reason = id }
                        #expect(noted.count == 1 && slot.task == e.task && slot.kind == kind && slot.reason == reason
                                    && slot.ticks == e.ticks, "\(sample.kind): fold_scan.c noted \(slot)")
                    } else {
                        #expect(noted.isEmpty, "\(sample.kind): fold_scan.c noted a state")
                    }
                    switch expected {
                    case .declines:
                        #expect(consumed == 0 && at == record.range.lowerBound && run.ticks == record.previousTicks
                                    && run.depth == open, "\(sample.kind): fold_scan.c should leave it to the scanner")
                    case .consumes, .opensRegion, .closesRegion, .notesState:
                        #expect(consumed == 1 && at == record.range.upperBound && run.ticks == e.ticks,
                                "\(sample.kind): fold_scan.c consumed \(consumed), stopped at \(at) of \(record.range)")
                    }
                    if expected == .opensRegion, case .interned(let id) = e.name {
                        #expect(run.depth == 1)
                        let r = slots[0]
                        #expect(r.thread == thread && r.name == id && r.stack == e.other && r.begin_ticks == e.ticks
                                    && r.blocking == (e.kind == .blockingRegionBegin ? 1 : 0),
                                "\(sample.kind): fold_scan.c opened \(r)")
                    }
                    if expected == .closesRegion { #expect(run.depth == 0) }
                }
            }
        }

        // MARK: helpers

        /// The specification's bytes for the sample's fields (after kind and dt).
        static func encode(_ sample: SampleRecord, _ fields: [SpecField]) -> [UInt8] {
            if isSpan(sample.kind), case .uint(let task)? = sample.values["task"],
               case .spanFields(let bytes)? = sample.values["span fields"] {
                let out = uvarint(task) + bytes
                return uvarint(UInt64(out.count)) + out
            }
            var out: [UInt8] = []
            for (i, field) in fields.enumerated() {
                if field.name == "length" {
                    // The byte length of the next field's text.
                    if i + 1 < fields.count, case .text(let s)? = sample.values[fields[i + 1].name] {
                        out += uvarint(UInt64(s.utf8.count))
                    }
                    continue
                }
                switch (field.type, sample.values[field.name]) {
                case ("uvarint", .uint(let v)?): out += uvarint(v)
                case ("svarint", .int(let v)?): out += uvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
                case ("f64le", .float(let v)?): out += withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) }
                case ("strref", .interned(let id)?): out += uvarint(id << 1)
                case ("strref", .inline(let s)?): out += uvarint(UInt64(s.utf8.count) << 1 | 1) + Array(s.utf8)
                case (let type, .text(let s)?) where type.hasPrefix("length bytes"): out += Array(s.utf8)
                default: Issue.record("\(sample.kind).\(field.name): type \(field.type) and value do not fit")
                }
            }
            // Extension kinds: the fields' length first.
            return sample.kind.rawValue >= 0x40 ? uvarint(UInt64(out.count)) + out : out
        }

        static func uvarint(_ value: UInt64) -> [UInt8] {
            var v = value, out: [UInt8] = []
            while v >= 0x80 {
                out.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
            return out
        }

        func uvarint(_ bytes: [UInt8], _ p: inout Int) -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while p < bytes.count {
                let b = bytes[p]
                p += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            return v
        }

        func text(_ s: DecodedString, _ payload: [UInt8]) -> String? {
            if case .inline(let range) = s { return String(decoding: payload[range], as: UTF8.self) }
            return nil
        }

        /// A string field either way, for comparing EventDecoder's with the scanner's.
        enum StringField: Equatable {
            case interned(UInt64)
            case inline([UInt8])
        }

        func decodedString(_ s: DecodedString, _ payload: [UInt8]) -> StringField {
            switch s {
            case .none: .interned(0)
            case .interned(let id): .interned(id)
            case .inline(let range): .inline(Array(payload[range]))
            }
        }

        func scanned(_ s: ScannedString) -> StringField {
            s.inline.map { .inline(Array($0)) } ?? .interned(s.id)
        }

        /// The value EventDecoder gave a field, as a sample value.
        func decoded(_ e: DecodedEvent, _ slot: Slot, _ payload: [UInt8]) -> SampleValue? {
            func string(_ s: DecodedString) -> SampleValue? {
                switch s {
                case .none: nil
                case .interned(let id): .interned(id)
                case .inline(let range): .inline(String(decoding: payload[range], as: UTF8.self))
                }
            }
            switch slot {
            case .task: return .uint(e.task)
            case .other: return .uint(e.other)
            case .scope: return .uint(e.scope)
            case .name: return string(e.name)
            case .group: return string(e.group)
            case .message: return .text(String(decoding: payload[e.message], as: UTF8.self))
            case .value: return e.isFloat ? .float(e.floatValue) : .int(e.intValue)
            }
        }
    }
}
