// Specification of how readers show span records (snapshot format §7.7): as the logs
// `span.start` and `span` of the record's task, in logfmt, keys in a fixed order, attributes
// sorted and prefixed `attr.`, values quoted when they must be; a malformed record is dropped
// with a warning and reading goes on.

import SyntheticTraces
import Testing
import TraceFormat
import TraceModel
@testable import TraceReaders

@Suite struct SpanRecordLogs {
    static let ids = SpanRecord.Identity(traceHigh: 0x0af7_6519_16cd_43dd, traceLow: 0x8448_eb21_1c80_319c,
                                         span: 0xb7ad_6b71_6920_3331, parent: 0x00f0_67aa_0ba9_02b7)

    /// The logs (category, message) a snapshot of one task holding these span records reads as.
    static func logs(_ records: [(EventKind, [UInt8])]) throws -> (logs: [(String, String)], warnings: [String]) {
        let a = SnapshotAssembler(chunkBytes: 1 << 16)
        let task: UInt64 = 1 << 62 | 3
        a.record(thread: 1, at: 100) { $0.taskCreated(at: 100, task: task, parent: 0, name: .inline("GET /items/{id}"), group: .id(0)) }
        for (i, (kind, fields)) in records.enumerated() {
            let t = 110 + UInt64(i) * 10
            a.record(thread: 1, at: t) { $0.span(kind, at: t, task: task, fields: fields) }
        }
        a.record(thread: 1, at: 500) { $0.taskEnded(at: 500, task: task) }
        let (events, reader) = try readAll(try a.snapshotBytes())
        let logs = events.compactMap { event -> (String, String)? in
            guard case .log(let logTask, _, let category, let message) = event.kind else { return nil }
            #expect(logTask == TaskID(task), "a span's logs are its record's task's")
            return (reader.tables.string(category), message)
        }
        return (logs, reader.warnings)
    }

    @Test("a span's start and end read as today's span.start and span logs")
    func startAndEnd() throws {
        let start = SpanRecord.Start(kind: .server, identity: Self.ids, name: "HTTP GET route not found")
        let end = SpanRecord.End(
            kind: .server, identity: Self.ids, startNs: 1_000, durationNs: 2_500_000, status: .error,
            statusMessage: "upstream \"db\" down", name: "/items/{id}",
            attributes: [("http.response.status_code", .integer(502)), ("http.request.method", .string("GET")),
                         ("ratio", .float(0.5)), ("cached", .bool(false)), ("tags", .text("[a,b]")), ("odd key", .string(""))],
            events: [SpanRecord.Event(name: "retry", offsetNs: 1_500, attributes: [("attempt", .integer(2))])],
            links: [SpanRecord.Identity(traceHigh: 1, traceLow: 2, span: 3, parent: 0)])
        let (logs, warnings) = try Self.logs([(.spanStart, SpanRecord.bytes(start)), (.spanEnd, SpanRecord.bytes(end))])
        #expect(warnings.isEmpty)
        try #require(logs.count == 2)
        #expect(logs[0].0 == "span.start")
        #expect(logs[0].1 == "name=\"HTTP GET route not found\" kind=server trace=0af7651916cd43dd8448eb211c80319c"
                    + " span=b7ad6b7169203331 parent=00f067aa0ba902b7")
        #expect(logs[1].0 == "span")
        #expect(logs[1].1 == "name=/items/{id} kind=server trace=0af7651916cd43dd8448eb211c80319c span=b7ad6b7169203331"
                    + " parent=00f067aa0ba902b7 status=error status.message=\"upstream \\\"db\\\" down\" startNs=1000"
                    + " durationNs=2500000 event=\"retry@+1500ns attempt=2\""
                    + " link=00000000000000010000000000000002-0000000000000003"
                    + " attr.cached=false attr.http.request.method=GET attr.http.response.status_code=502"
                    + " attr.odd_key=\"\" attr.ratio=0.5 attr.tags=[a,b]")
    }

    @Test("a root span has no parent key; a span without status has no status keys")
    func rootWithoutStatus() throws {
        var ids = Self.ids
        ids.parent = 0
        let end = SpanRecord.End(kind: .internal, identity: ids, startNs: 5, durationNs: 0, name: "tick")
        let (logs, _) = try Self.logs([(.spanEnd, SpanRecord.bytes(end))])
        #expect(logs.map(\.1) == ["name=tick kind=internal trace=0af7651916cd43dd8448eb211c80319c span=b7ad6b7169203331"
                                    + " startNs=5 durationNs=0"])
    }

    @Test("a span record whose fields do not decode is dropped with a warning; the rest is read")
    func malformedIsDropped() throws {
        let start = SpanRecord.Start(kind: .client, identity: Self.ids, name: "call")
        var bad = SpanRecord.bytes(start)
        bad[0] = 0x7F  // no such kind
        let (logs, warnings) = try Self.logs([(.spanStart, bad), (.spanStart, SpanRecord.bytes(start))])
        #expect(logs.count == 1)
        #expect(warnings.contains { $0.contains("dropped 1 span records") })
    }
}
