// Bad input: the Go reader never traps or hangs, reports damage in one line naming generation,
// batch and offset, keeps what came before, and refuses what is not a Go trace at all.

import Foundation
import SyntheticTraces
import Testing
import TraceModel
@testable import TraceReaders

@Suite("Go reader on damaged input")
struct GoDamageTests {
    static let fixtures = ["workload/go122.trace", "workload/go123.trace", "workload/go125.trace",
                           "workload/go126.trace", "pingserver/trace.1.out"]
    static let mutationFixtures = fixtures + ["corpus/go122-gc-stress.trace", "corpus/go122-annotations-stress.trace",
                                              "corpus/go122-syscall-steal-proc-ambiguous.trace", "corpus/go125-sync.trace",
                                              "cgocallback/go126.trace", "coroutines/go123.trace"]

    /// Reads a possibly damaged trace to its end; returns nil when the reader refused it.
    private func read(_ bytes: [UInt8], _ name: String) -> DrainedTrace? {
        guard var reader = try? GoTraceReader(bytes: bytes, name: name) else { return nil }
        return try? drain(&reader, limit: 10_000_000)
    }

    private func checkInvariants(_ d: DrainedTrace, inputSize: Int, _ label: String) {
        var last = Int64.min
        var ordered = true
        for e in d.events where e.timeNs < last { ordered = false; last = e.timeNs }
        for e in d.events { last = max(last, e.timeNs) }
        #expect(ordered, "\(label): times go backwards")
        #expect(d.events.count < 10_000_000, "\(label): reader did not stop")
        if let damage = d.damage {
            #expect(damage.offset >= 0 && damage.offset <= Int64(inputSize), "\(label): offset \(damage.offset)")
            #expect(!damage.description.contains("\n"), "\(label): multi-line damage")
        }
    }

    @Test("a trace cut at any of 80 seeded offsets ends with damage naming generation, batch and offset, and keeps earlier events",
          arguments: fixtures)
    func truncations(fixture: String) throws {
        let bytes = try GoFixtures.bytes(fixture)
        var full = try GoTraceReader(bytes: bytes, name: fixture)
        let complete = try drain(&full)
        var rng = SeededRandom(seed: 0x7472_6163_6578_706F)
        for _ in 0..<80 {
            let cut = Int.random(in: 16..<(bytes.count - 1), using: &rng)
            let label = "\(fixture) cut at \(cut)"
            guard let d = read(Array(bytes[..<cut]), fixture) else {
                Issue.record("\(label): refused")
                continue
            }
            checkInvariants(d, inputSize: cut, label)
            let damage = try #require(d.damage, "\(label): no damage reported")
            #expect(damage.message.hasPrefix("generation "), "\(label): \(damage)")
            #expect(d.events.count <= complete.events.count)
        }
    }

    @Test("a trace cut inside its last generation still gives that generation's events before the cut; the damage names the cut",
          arguments: fixtures)
    func cutInsideGeneration(fixture: String) throws {
        let bytes = try GoFixtures.bytes(fixture)
        let cut = bytes.count * 7 / 10
        var reader = try GoTraceReader(bytes: Array(bytes[..<cut]), name: "cut.trace")
        let d = try drain(&reader)
        let damage = try #require(d.damage)
        #expect(damage.message.contains("truncated"), "\(damage)")
        #expect(damage.offset >= Int64(cut) - 70_000 && damage.offset <= Int64(cut), "\(damage)")
        #expect(d.events.count > 50, "\(fixture): only \(d.events.count) events before the cut")
    }

    @Test("seeded bit flips and byte insertions never trap or hang", arguments: mutationFixtures)
    func mutations(fixture: String) throws {
        let bytes = try GoFixtures.bytes(fixture)
        var rng = SeededRandom(seed: 0x676F_2D72_6561_6465 ^ UInt64(bytes.count))
        for round in 0..<60 {
            var m = bytes
            let edits = Int.random(in: 1...4, using: &rng)
            for _ in 0..<edits {
                let at = Int.random(in: 16..<max(17, m.count), using: &rng)
                guard at < m.count else { continue }
                if Bool.random(using: &rng) {
                    m[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                } else {
                    let count = Int.random(in: 1...8, using: &rng)
                    m.insert(contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
                }
            }
            let label = "\(fixture) mutation \(round)"
            guard let d = read(m, fixture) else { continue }
            checkInvariants(d, inputSize: m.count, label)
        }
    }

    @Test("a file that is not a Go trace is refused with a one-line error")
    func notAGoTrace() throws {
        for input in ["hello, world, this is text", "", "go 1.22 trac", "{\"traceEvents\": []}", "go 1.22 trace\0\0X"] {
            #expect(throws: GoTraceError.self) { _ = try GoTraceReader(bytes: Array(input.utf8), name: "x.json") }
        }
        for input in ["hello, world, this is text", "", "{\"traceEvents\": []}", "go 1.22 trace\0\0X", "go 1.x trace"] {
            #expect(!GoTraceReader.looksLikeGoTrace(prefix: Array(input.utf8)))
        }
        do {
            _ = try GoTraceReader(bytes: Array("not a trace at all.".utf8), name: "notes.txt")
        } catch let e as GoTraceError {
            #expect(e.kind == .notAGoTrace)
            #expect(e.description == "notes.txt: not a Go execution trace (no \"go 1.NN trace\" header)")
        }
    }

    @Test("an old-format (1.21) trace is recognized as Go but refused as unsupported")
    func oldVersionRefused() throws {
        let header = Array("go 1.21 trace\0\0\0".utf8) + [1, 2, 3]
        #expect(GoTraceReader.looksLikeGoTrace(prefix: header))
        do {
            _ = try GoTraceReader(bytes: header, name: "old.trace")
            Issue.record("accepted a 1.21 trace")
        } catch let e as GoTraceError {
            #expect(e.kind == .unsupportedVersion(21))
        }
    }

    @Test("a header alone is an empty, undamaged trace")
    func headerOnly() throws {
        var reader = try GoTraceReader(bytes: Array("go 1.26 trace\0\0\0".utf8), name: "empty.trace")
        let d = try drain(&reader)
        #expect(d.events.isEmpty)
        #expect(d.damage == nil)
        #expect(d.metadata.format == "go" && d.metadata.version == "1.26")
    }

    @Test("a batch length over 64 KiB is damage at that batch, not an allocation")
    func hugeBatchLength() throws {
        var bytes = Array("go 1.22 trace\0\0\0".utf8)
        bytes += [1, 1, 0, 0]                       // EventBatch gen=1 m=0 time=0
        bytes += [0xff, 0xff, 0xff, 0xff, 0x0f]     // length 2^32-1
        var reader = try GoTraceReader(bytes: bytes, name: "big.trace")
        let d = try drain(&reader)
        let damage = try #require(d.damage)
        #expect(damage.offset == 16)
        #expect(damage.description == "big.trace: offset 16: generation 1, batch 0: batch length 4294967295 exceeds the maximum 65536")
    }
}
