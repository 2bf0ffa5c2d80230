// Specification of `info`: counts, keys, and the text form.

import Foundation
import SyntheticTraces
import Testing
@testable import TraceExporters
import TraceModel

@Suite struct InfoExporterTests {
    func script() -> TraceScript {
        let s = TraceScript(startNs: 10_000, durationNs: 2_000_000_000)
        s.metadata.fileBytes = 1_000
        s.metadata.uncompressedBytes = 4_000
        s.metadata.trigger = "slow request GET /ping 2.1 s"
        s.metadata.triggerFields = [KeyValue("path", "/ping")]
        s.threadName(0, 1, "main")
        s.created(0, 1, "a")
        s.created(0, 2, "b")
        s.state(0, 1, .running, thread: 1)
        s.state(0, 2, .running, thread: 2)
        s.regionBegin(1, task: 1, "r")
        s.regionEnd(2, task: 1, "r")
        s.log(3, task: 0, thread: 3, "c", "m")
        s.counter(4, "heap", 1)
        return s
    }

    @Test func jsonCountsEventsByKindTasksAndThreads() throws {
        let text = try export(InfoExporter(options: InfoOptions(format: .json)), script())
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        for key in ["format", "version", "events", "eventsByKind", "startNs", "endNs", "durationNs", "tasks", "threads",
                    "fileBytes", "uncompressedBytes", "bytesPerEvent", "trigger"] {
            #expect(root[key] != nil, "missing \(key)")
        }
        #expect(root["events"] as? Int == 9)
        #expect(root["eventsByKind"] as? [String: Int] == ["threadName": 1, "taskCreated": 2, "taskState": 2,
                                                            "regionBegin": 1, "regionEnd": 1, "log": 1, "counter": 1,
                                                            "taskCPU": 0])
        #expect(root["tasks"] as? Int == 2)
        #expect(root["threads"] as? Int == 3)
        #expect(root["durationNs"] as? Int == 2_000_000_000)
        #expect(root["bytesPerEvent"] as? Double == 111.11)
        #expect(root["trigger"] as? String == "slow request GET /ping 2.1 s")
        #expect(root["damage"] is NSNull)
    }

    @Test func textListsTheSameFacts() throws {
        let damage = TraceDamage(file: "x.out", offset: 77, message: "truncated")
        let text = try export(InfoExporter(), script(), damage: damage)
        #expect(text.contains("format:             tracexport 1.0\n"))
        #expect(text.contains("events:             9 (threadName 1, taskCreated 2, taskState 2, regionBegin 1, regionEnd 1, log 1, counter 1)\n"))
        #expect(text.contains("window:             10000 .. 2000010000 ns (2.000s)\n"))
        #expect(text.contains("damage:             x.out: offset 77: truncated\n"))
        #expect(text.contains("  path:             /ping\n"))
        #expect(!text.contains("actors:"), "no actors line for a trace without actors")
    }

    @Test func actorEventsAreCountedByKindAndActorsOnlyWhenPresent() throws {
        let s = ActorContention.script()
        let text = try export(InfoExporter(options: InfoOptions(format: .json)), s)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let byKind = try #require(root["eventsByKind"] as? [String: Int])
        #expect(byKind["actorCreated"] == 2 && byKind["actorEnqueued"] == 2 && byKind["actorAcquired"] == 4
                && byKind["actorReleased"] == 4)
        #expect(root["actors"] as? Int == 2)
        #expect(root["events"] as? Int == byKind.values.reduce(0, +))

        let plain = try export(InfoExporter(), s)
        #expect(plain.contains("actors:             2\n"))
        #expect(plain.contains("actorCreated 2, actorEnqueued 2, actorAcquired 4, actorReleased 4)\n"))

        let withoutActors = try export(InfoExporter(options: InfoOptions(format: .json)), script())
        let other = try #require(try JSONSerialization.jsonObject(with: Data(withoutActors.utf8)) as? [String: Any])
        #expect(other["actors"] == nil)
        #expect((other["eventsByKind"] as? [String: Int])?.keys.contains { $0.hasPrefix("actor") } == false)
    }
}

@Suite struct JSONTextTests {
    @Test func escapesEveryControlCharacterQuoteAndBackslash() throws {
        var all = ""
        for scalar in 0..<0x20 { all.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        all += "\"\\/é\u{2028}"
        let escaped = String(decoding: JSONText.escaped(all), as: UTF8.self)
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(escaped)]".utf8)) as? [String]
        #expect(parsed == [all])
        #expect(escaped.hasPrefix("\"\\u0000\\u0001"))
    }

    @Test func numbersAreIntegersWhenIntegral() {
        var out = OutputBuffer()
        for v in [0, -3, 1.5, 1e20, 0.1, 9_007_199_254_740_994] as [Double] {
            out.writeJSONNumber(v)
            out.write(byte: UInt8(ascii: " "))
        }
        #expect(out.string == "0 -3 1.5 1e+20 0.1 9.007199254740994e+15 ")
    }
}

@Suite struct StagingBufferTests {
    /// Microseconds as text, the plain way: integer part, then up to three decimals without
    /// trailing zeros.
    static func microsecondsText(_ ns: Int64) -> String {
        let sign = ns < 0 ? "-" : ""
        let magnitude = ns.magnitude
        var text = sign + String(magnitude / 1000)
        var fraction = String(magnitude % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        if !fraction.isEmpty { text += "." + fraction }
        return text
    }

    @Test func integersAndMicrosecondsMatchPlainFormatting() {
        var rng = SeededRandom(seed: 11)
        var staged = StagingBuffer(capacity: 8)
        var reference = OutputBuffer()
        var values: [Int64] = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 10_000, 123_456_789, .max, .min + 1, -1, -1000, -1234]
        for _ in 0..<2_000 { values.append(Int64(bitPattern: rng.next()) >> Int64(rng.below(63))) }
        for v in values {
            staged.write(int: v)
            staged.write(byte: 32)
            staged.write(microsecondsFromNs: v == .min + 1 ? 0 : v)
            staged.write(byte: 10)
            reference.write(int: v)
            reference.write(byte: 32)
            reference.write(Self.microsecondsText(v == .min + 1 ? 0 : v))
            reference.write(byte: 10)
        }
        staged.write(uint: .max)
        reference.write(uint: .max)
        var drained = OutputBuffer()
        staged.drain(into: &drained)
        #expect(drained.string == reference.string)
        #expect(staged.count == 0)
    }
}
