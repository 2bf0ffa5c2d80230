// A span's `spanEnd` record (SpanEndRecord): every attribute, event and link set on a span is in
// it, whether its fields fit the one-pass stack buffer or take the measured path, and fields
// beyond the record's bound are left out whole.

#if Tracing
import FlightRecorder
@testable import FlightRecorderTracing
import Testing
import TraceModel
import TraceReaders
import Tracing

extension Integration {
    @Suite struct SpanEndRecords {
        /// The attribute `index` sets: each value kind in turn (an array is recorded as text; the
        /// string is a native one with multi-byte characters, longer than a small string).
        static func attribute(_ index: Int) -> (value: SpanAttribute, text: String) {
            switch index % 5 {
            case 0: (.int64(Int64(index)), String(index))
            case 1: (.double(Double(index) + 0.5), String(Double(index) + 0.5))
            case 2: (.bool(index % 2 == 0), String(index % 2 == 0))
            case 3: (.string(String(repeating: "vü", count: 15)), String(repeating: "vü", count: 15))
            default: (.int64Array([Int64(index), 7]), "[\(index),7]")
            }
        }

        /// The `span` log of a span named "handler" with `count` attributes, an event, a link and
        /// an error status; and the linked span's ids.
        func endLog(attributes count: Int) async throws -> (log: [String: String], linked: FlightRecorderSpanContext) {
            let tracer = FlightRecorderTracer()
            var linked: FlightRecorderSpanContext?
            let bytes = try await withExclusiveRecorder { recorder in
                let other = tracer.startSpan("linked", context: .topLevel, ofKind: .internal)
                linked = other.spanContext
                let span = tracer.startSpan("handler", context: .topLevel, ofKind: .internal)
                for index in 0..<count {
                    span.attributes.set("key.\(index)", value: Self.attribute(index).value)
                }
                span.addEvent(SpanEvent(name: "retry", attributes: ["attempt": 2]))
                span.addLink(SpanLink(context: other.context, attributes: [:]))
                span.setStatus(SpanStatus(code: .error, message: "timeout"))
                span.end()
                other.end()
                return try recorder.snapshot()
            }
            let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "end records"))
            let log = try #require(digest.logs.filter { $0.category == "span" }
                .map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
                .first { $0["name"] == "handler" })
            return (log, try #require(linked))
        }

        @Test("every attribute, the event and the link are recorded, in one pass (5 attributes: each kind once) or measured (60, ~2.6 KiB)",
              arguments: [5, 60])
        func everyField(count: Int) async throws {
            let (log, linked) = try await endLog(attributes: count)
            #expect(log.keys.filter { $0.hasPrefix("attr.") }.count == count)
            for index in 0..<count {
                #expect(log["attr.key.\(index)"] == Self.attribute(index).text, "key.\(index)")
            }
            let event = try #require(log["event"])
            #expect(event.hasPrefix("retry@+") && event.hasSuffix("ns attempt=2"), "\(event)")
            #expect(log["link"] == linked.traceID + "-" + linked.spanIDText)
            #expect(log["status"] == "error")
            #expect(log["status.message"] == "timeout")
        }

        @Test("attributes beyond the record's bound (16 KiB) are left out whole; the rest are kept")
        func oversized() async throws {
            let (log, _) = try await endLog(attributes: 1_500)
            let kept = log.keys.filter { $0.hasPrefix("attr.") }
            #expect(kept.count > 300 && kept.count < 1_500, "\(kept.count)")
            for key in kept {
                let index = try #require(Int(key.dropFirst("attr.key.".count)))
                #expect(log[key] == Self.attribute(index).text, "\(key)")
            }
        }
    }
}
#endif
