// Specification of the Perfetto exporter (PerfettoTraceExporter): every output goes through
// checkPerfetto's invariants, and shows what the Chrome exporter shows for the same input.

import Foundation
import Testing
@testable import TraceExporters
import TraceModel

@Suite struct PerfettoTraceExporterTests {
    func perfetto(_ script: TraceScript, options: PerfettoOptions = PerfettoOptions(),
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> (bytes: [UInt8], trace: PerfettoTrace) {
        let bytes = try exportBytes(PerfettoTraceExporter(options: options), script)
        return (bytes, checkPerfetto(bytes, sourceLocation: sourceLocation))
    }

    func chrome(_ script: TraceScript, options: ChromeOptions = ChromeOptions()) throws -> ChromeTrace {
        checkChrome(try export(ChromeTraceExporter(options: options), script))
    }

    @Test func stateSlicesNestInRegionsAsInChrome() throws {
        let s = TraceScript()
        s.created(0, 7, "handler")
        s.state(0, 7, .running, thread: 1)
        s.regionBegin(1_000, task: 7, "GET /ping")
        s.state(2_000, 7, .blocked("sleep"))
        s.regionBegin(2_500, task: 7, "db")
        s.state(3_000, 7, .runnable)
        s.regionEnd(3_500, task: 7, "db")
        s.state(4_000, 7, .running, thread: 1)
        s.regionEnd(5_000, task: 7, "GET /ping")
        s.state(6_000, 7, .ended)
        let (_, trace) = try perfetto(s)
        let slices = trace.slices(track: "handler").sorted { ($0.beginNs, $0.depth) < ($1.beginNs, $1.depth) }
            .map { "\($0.depth) \($0.name) \($0.beginNs)-\($0.endNs)" }
        #expect(slices == [
            "0 running 0-1000",
            "0 GET /ping 1000-5000",
            "1 running 1000-2000",
            "1 blocked: sleep 2000-2500",
            "1 db 2500-3500",
            "2 blocked: sleep 2500-3000",
            "2 runnable 3000-3500",
            "1 runnable 3500-4000",
            "1 running 4000-5000",
            "0 running 5000-6000",
        ])
        expectSameContent(trace, try chrome(s))
    }

    @Test func tracksAreGroupedAndNamed() throws {
        let s = TraceScript()
        s.threadName(0, 1, "worker-0")
        s.created(0, 7, "handler")
        s.created(0, 8, "")
        s.state(100, 7, .running, thread: 1)
        s.counter(200, "queue depth", 3)
        s.state(300, 8, .running, thread: 2)
        let (_, trace) = try perfetto(s)
        let named = Dictionary(trace.tracks.values.map { ($0.name, trace.tracks[$0.parent]?.name ?? "") },
                               uniquingKeysWith: { a, _ in a })
        #expect(named["Tasks"] == "")
        #expect(named["handler"] == "Tasks")
        #expect(named["task 8"] == "Tasks")
        #expect(named["worker-0"] == "Threads")
        #expect(named["thread 2"] == "Threads")
        #expect(named["queue depth"] == "Counters")
        #expect(trace.tracks.values.first { $0.name == "queue depth" }?.isCounter == true)
        #expect(trace.counters.map(\.value) == [3])
        #expect(trace.slices(track: "worker-0").map(\.name) == ["handler"])
    }

    @Test func tasksAreOrderedByIdWhateverItsSize() throws {
        // Ids past int32 in every id space: a long-running process's task counter, logical
        // tasks (1 << 62), Go user tasks (1 << 63); created in no particular order.
        let ids: [UInt64] = [(1 << 63) | 7, 9, (1 << 62) | 2, (1 << 31) + 5, (1 << 63) | 3, 1 << 40,
                             (1 << 62) | 1, (1 << 31) + 2, 3, (1 << 30) - 1, (1 << 62) | 1_000_000]
        let s = TraceScript()
        for (i, id) in ids.enumerated() {
            s.created(Int64(i) * 100, id, "t\(id)")
            s.state(Int64(i) * 100 + 10, id, .running, thread: 1)
            s.state(Int64(i) * 100 + 20, id, .ended)
        }
        let (_, trace) = try perfetto(s)
        let tasks = try #require(trace.tracks.first { $0.value.name == "Tasks" }?.key)
        let ranked = trace.tracks.values.filter { $0.parent == tasks }.sorted { $0.rank < $1.rank }
        #expect(ranked.map(\.name) == ids.sorted().map { "t\($0)" })
        #expect(Set(ranked.map(\.rank)).count == ids.count, "every task has a rank of its own")
        #expect(ranked.allSatisfy { $0.rank >= 0 && $0.rank <= Int64(Int32.max) })
        expectSameContent(trace, try chrome(s))
    }

    @Test func ranksFollowTheIdsOrderAndStayInInt32() {
        var ranks = PerfettoTrackRanks()
        var random = SystemRandomNumberGenerator()
        // Small ids keep their value (goldens of small ids do not change).
        #expect(ranks.rank(0) == 0 && ranks.rank(12_345) == 12_345 && ranks.rank((1 << 30) - 1) == (1 << 30) - 1)
        // Clusters of every bit length, and ids far from their length's first: never out of order.
        var ids: [UInt64] = (0..<2_000).map { _ in
            let top = UInt64.random(in: 0...63, using: &random)
            return (1 << top) | UInt64.random(in: 0...((1 << min(top, 20)) - 1), using: &random)
        }
        ids += [UInt64.max, 1 << 63, (1 << 62) + (1 << 40), 1 << 62]
        let ranked = ids.map { ($0, ranks.rank($0)) }
        for (a, b) in zip(ranked.sorted { $0.0 < $1.0 }, ranked.sorted { $0.0 < $1.0 }.dropFirst()) {
            #expect(a.1 <= b.1, "id \(a.0) ranks \(a.1), above id \(b.0) at \(b.1)")
        }
        // The same id keeps its rank.
        for (id, rank) in ranked.prefix(50) { #expect(ranks.rank(id) == rank) }
    }

    @Test func namesAreInternedOnce() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        for i in 0..<200 {
            s.state(Int64(i * 100), 1, .blocked("a distinctive reason"))
            s.state(Int64(i * 100 + 50), 1, .running, thread: 1)
        }
        let (bytes, trace) = try perfetto(s, options: PerfettoOptions(compressed: false))
        #expect(trace.slices(track: "t").filter { $0.name == "blocked: a distinctive reason" }.count == 200)
        let needle = Array("a distinctive reason".utf8)
        let occurrences = (0...(bytes.count - needle.count)).filter { Array(bytes[$0..<($0 + needle.count)]) == needle }
        #expect(occurrences.count == 1)
    }

    @Test func logsAreInstantsWithTheirText() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        s.log(500, task: 1, "orders", "order 7 stored")
        s.log(600, task: 0, thread: 1, "", "on the thread")
        let (_, trace) = try perfetto(s)
        #expect(trace.instants.map { "\($0.track) \($0.name) \($0.timeNs) \($0.message)" } == [
            "t orders 500 order 7 stored",
            "thread 1 log 600 on the thread",
        ])
        expectSameContent(trace, try chrome(s))
    }

    @Test func wakeUpArrowsGoFromTheWakerToTheWokenTasksNextRunningSlice() throws {
        let s = TraceScript()
        s.created(0, 1, "waker")
        s.created(0, 2, "sleeper")
        s.state(0, 1, .running, thread: 1)
        s.state(0, 2, .blocked("chan receive"))
        s.state(1_000, 2, .runnable, waker: 1)
        s.state(2_000, 2, .running, thread: 2)
        let (_, trace) = try perfetto(s)
        #expect(trace.completeFlows == 1)
        #expect(trace.dump.contains { $0.hasPrefix("1000 I ") && $0.contains("cat=wake") && $0.contains("flow>1") })
        #expect(trace.dump.contains { $0.hasPrefix("2000 B ") && $0.contains("\"running\"") && $0.contains(">flow1") })
        expectSameContent(trace, try chrome(s))

        let (_, withoutFlows) = try perfetto(s, options: PerfettoOptions(flows: false))
        #expect(withoutFlows.completeFlows == 0)
        #expect(withoutFlows.instants.isEmpty)
    }

    @Test func withoutThreadTracksThereIsNoThreadsGroup() throws {
        let s = RandomTrace(seed: 3).script(events: 500)
        let (_, trace) = try perfetto(s, options: PerfettoOptions(threadTracks: false))
        #expect(!trace.tracks.values.contains { $0.name == "Threads" })
        expectSameContent(trace, try chrome(s, options: ChromeOptions(threadTracks: false)))
    }

    @Test func compressionChangesTheFramingOnly() throws {
        let s = RandomTrace(seed: 11).script(events: 6_000, actors: true)
        let bare = try exportBytes(PerfettoTraceExporter(options: PerfettoOptions(compressed: false)), s)
        let compressed = try exportBytes(PerfettoTraceExporter(), s)
        // Every top-level packet is a container; inflated in order they are the bare packets.
        var inflated: [UInt8] = []
        let root = try ProtobufMessage(compressed)
        for field in root.fields {
            #expect(field.number == PerfettoField.tracePacket)
            let container = try field.message()
            #expect(container.fields.map(\.number) == [PerfettoPacketCompressor.compressedPacketsField])
            inflated += try inflateAll(try #require(container.first(PerfettoPacketCompressor.compressedPacketsField)?.bytes),
                                       gzip: false)
        }
        #expect(inflated == bare)
        #expect(root.fields.count > 1, "runs of about 64 KiB: a larger trace takes several containers")
        #expect(compressed.count * 2 < bare.count)
        let trace = checkPerfetto(compressed)
        #expect(trace.containers == root.fields.count)
        #expect(trace.packetBytes == bare.count)
        expectSameContent(trace, try chrome(s))
    }

    @Test func aPacketLongerThanARunIsDeflatedWhole() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        let text = String(repeating: "a long log line, ", count: 20_000)  // 340 KB: more than the scratch
        s.log(100, task: 1, "dump", text)
        s.log(200, task: 1, "dump", "short")
        let (bytes, trace) = try perfetto(s)
        #expect(trace.instants.map(\.message) == [text, "short"])
        #expect(trace.containers >= 1)
        #expect(bytes.count * 10 < text.utf8.count)
    }

    @Test func metadataIsWhatChromeWritesAsOtherData() throws {
        let s = TraceScript()
        s.metadata.triggerFields = [KeyValue("path", "/ping")]
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        s.counter(10, "c", .nan)
        let (_, trace) = try perfetto(s)
        let other = try #require(try chrome(s).root["otherData"] as? [String: Any])
        let expected = other.map { key, value in (key, value is String ? "\"\(value)\"" : "\(value)") }
        #expect(trace.attributes.map { "\($0.key)=\($0.value)" }.sorted() == expected.map { "\($0.0)=\($0.1)" }.sorted())
        #expect(trace.attributes.contains { $0.key == "skippedNonFiniteCounters" && $0.value == "1" })
    }

    @Test func outputIsDeterministic() throws {
        let s = RandomTrace(seed: 7).script(events: 2_000, actors: true)
        #expect(try exportBytes(PerfettoTraceExporter(), s) == exportBytes(PerfettoTraceExporter(), s))
    }

    @Test(arguments: 1...12)
    func randomTracesKeepTheInvariantsAndMatchChrome(seed: UInt64) throws {
        let s = RandomTrace(seed: seed).script(events: 1_500, actors: seed % 2 == 0)
        let (_, trace) = try perfetto(s)
        expectSameContent(trace, try chrome(s))
    }

    @Test func eventsOutOfOrderOrBeforeTheWindowNeverGoBackInTime() throws {
        let s = TraceScript()
        s.unordered = true
        s.created(0, 1, "t")
        s.state(500, 1, .running, thread: 1)
        s.state(-200, 1, .runnable)
        s.state(700, 1, .running, thread: 1)
        let (_, trace) = try perfetto(s)
        expectSameContent(trace, try chrome(s))
    }
}
