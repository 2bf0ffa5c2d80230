// Specification: a damaged snapshot converts up to the damage, says where it is, and never
// traps or hangs, whatever the bytes.

import SyntheticTraces
import Testing
import TraceModel
@testable import TraceReaders


@Suite struct SnapshotReaderDamageSpecification {
    @Test func truncatedSnapshotKeepsAPrefixOfTheEventsAndReportsTheOffset() throws {
        let bytes = try Repository.bytes("small.out")
        let (all, _) = try readAll(bytes)
        var previousCount = 0
        for cut in stride(from: 150, to: bytes.count, by: 7) {
            guard let (kept, reader) = try? readAll(Array(bytes[0..<cut]), name: "small.out") else { continue }
            let damage = try #require(reader.damage, "cut at \(cut)")
            #expect(damage.file == "small.out")
            #expect(damage.offset <= Int64(cut))
            #expect(kept.count <= all.count)
            #expect(kept.count >= previousCount, "a longer prefix never yields fewer events")
            previousCount = kept.count
            #expect(damage.description.hasPrefix("small.out: offset "))
        }
        #expect(previousCount > all.count / 2)
    }

    @Test(arguments: 0..<6)
    func mutatedSnapshotsNeverTrap(seed: UInt64) throws {
        let original = try Repository.bytes("ping-slow-request.out")
        var g = SeededRandom(seed: seed)
        for round in 0..<150 {
            var bytes = original
            for _ in 0..<(1 + Int(g.next() % 4)) {
                let at = Int(g.next() % UInt64(bytes.count))
                switch g.next() % 3 {
                case 0: bytes[at] ^= UInt8(1 << (g.next() % 8))
                case 1: bytes.insert(UInt8(truncatingIfNeeded: g.next()), at: at)
                default: bytes.remove(at: at)
                }
            }
            do {
                let (events, reader) = try readAll(bytes)
                for (a, b) in zip(events, events.dropFirst()) { #expect(a.timeNs <= b.timeNs, "round \(round)") }
                _ = reader.damage
            } catch is TraceDamage {
                // A damaged header: refused as a whole, which is allowed.
            }
        }
    }

    @Test func detectionNamesWhatAnInputLooksLike() {
        #expect(TraceInput.detect(Array("go 1.26 trace\0\0\0".utf8)) == .goTrace(version: 26))
        #expect(TraceInput.detect(Array("go 1.22 trace\0\0\0".utf8)) == .goTrace(version: 22))
        guard case .unsupported(let old) = TraceInput.detect(Array("go 1.21 trace\0\0\0".utf8)) else {
            Issue.record("1.21 accepted"); return
        }
        #expect(old.contains("1.21"))
        guard case .unsupported(let json) = TraceInput.detect(Array("{\"traceEvents\":[".utf8)) else { Issue.record(); return }
        #expect(json.contains("JSON"))
        guard case .unsupported(let gz) = TraceInput.detect([0x1F, 0x8B, 8, 0]) else { Issue.record(); return }
        #expect(gz.contains("gzip"))
        guard case .unsupported(let empty) = TraceInput.detect([]) else { Issue.record(); return }
        #expect(empty.contains("empty"))
    }
}
