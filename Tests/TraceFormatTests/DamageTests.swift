// Specification: damaged snapshots give back every frame before the damage and say where the
// damage is; nothing makes a reader trap or hang.

import Foundation
import SyntheticTraces
import Testing
@testable import TraceFormat

enum Fixtures {
    static func bytes(_ name: String) throws -> [UInt8] {
        // The package root: the nearest folder above this file with a Package.swift (the walk
        // stops at the file system's root).
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) && url.path != "/" {
            url.deleteLastPathComponent()
        }
        return Array(try Data(contentsOf: url.appendingPathComponent("Fixtures").appendingPathComponent(name)))
    }
}

/// Reads every frame; returns them with the reader (for its damage).
func frames(of bytes: [UInt8]) throws -> (frames: [Frame], reader: FrameReader) {
    let r = try FrameReader(source: ByteSource(bytes: bytes))
    var out: [Frame] = []
    while let f = try r.next() { out.append(f) }
    return (out, r)
}

@Suite struct SnapshotDamageSpecification {
    @Test func intactFixtureReadsToItsEndFrame() throws {
        let (all, r) = try frames(of: try Fixtures.bytes("small.out"))
        #expect(r.damage == nil)
        #expect(r.endSeen)
        #expect(all.count > 20, "small.out is built with tiny chunks to have many frames")
        #expect(r.declaredFrames == all.count - 1)
    }

    @Test func truncationAtEveryOffsetKeepsEveryCompleteFrame() throws {
        let bytes = try Fixtures.bytes("small.out")
        let (all, _) = try frames(of: bytes)
        // Where each frame ends in the file.
        var ends: [Int64] = []
        for (i, f) in all.enumerated() {
            let next = i + 1 < all.count ? all[i + 1].offset : Int64(bytes.count)
            #expect(f.offset < next)
            ends.append(next)
        }
        let headerEnd = Int(all[0].offset)
        for cut in 0..<bytes.count {
            let prefix = Array(bytes[0..<cut])
            if cut < headerEnd {
                #expect(throws: FormatError.self, "cut at \(cut) is inside the header") { try frames(of: prefix) }
                continue
            }
            let (kept, r) = try frames(of: prefix)
            let complete = ends.filter { $0 <= Int64(cut) }.count
            #expect(kept.count == complete, "cut at \(cut)")
            #expect(r.damage != nil, "cut at \(cut) must be reported")
            if let d = r.damage { #expect(d.offset <= Int64(cut)) }
            for (a, b) in zip(kept, all) { #expect(a.payload == b.payload) }
        }
    }

    @Test(arguments: 0..<8)
    func bitFlipsInTheBodyAreCaughtByTheChecksum(seed: UInt64) throws {
        let bytes = try Fixtures.bytes("small.out")
        let (all, _) = try frames(of: bytes)
        var g = SeededRandom(seed: seed)
        for _ in 0..<200 {
            var damaged = bytes
            let at = Int(all[0].offset) + Int(g.next() % UInt64(bytes.count - Int(all[0].offset)))
            damaged[at] ^= UInt8(1 << (g.next() % 8))
            let (kept, r) = try frames(of: damaged)
            #expect(r.damage != nil, "flip at \(at) not detected")
            // Everything kept is exactly what the intact file holds.
            for (a, b) in zip(kept, all) { #expect(a.payload == b.payload) }
            #expect(kept.allSatisfy { $0.offset < Int64(at) })
        }
    }

    @Test func headerBitFlipsAreRefused() throws {
        let bytes = try Fixtures.bytes("small.out")
        let (all, _) = try frames(of: bytes)
        for at in 12..<Int(all[0].offset) {
            var damaged = bytes
            damaged[at] ^= 0x10
            #expect(throws: FormatError.self, "flip at \(at)") { try frames(of: damaged) }
        }
    }

    @Test func newerMajorVersionIsRefusedWithAClearMessage() throws {
        var bytes = try Fixtures.bytes("small.out")
        bytes[8] = 2
        do {
            _ = try frames(of: bytes)
            Issue.record("a version 2 file was read")
        } catch let e as FormatError {
            #expect(e.message.contains("newer"))
            #expect(e.offset == 8)
        }
    }

    @Test func newerMinorVersionIsRead() throws {
        var bytes = try Fixtures.bytes("small.out")
        bytes[10] = 9
        let (_, r) = try frames(of: bytes)
        #expect(r.damage == nil)
        #expect(r.header.minor == 9)
    }

    @Test func notASnapshotIsRefused() {
        #expect(throws: FormatError.self) { try frames(of: Array("go 1.26 trace\0\0\0".utf8)) }
        #expect(throws: FormatError.self) { try frames(of: []) }
    }

    @Test(arguments: 0..<4)
    func randomGarbageAfterTheHeaderNeverTraps(seed: UInt64) throws {
        let bytes = try Fixtures.bytes("small.out")
        let (all, _) = try frames(of: bytes)
        var g = SeededRandom(seed: seed)
        for _ in 0..<300 {
            var damaged = Array(bytes[0..<Int(all[0].offset)])
            let n = Int(g.next() % 400)
            for _ in 0..<n { damaged.append(UInt8(truncatingIfNeeded: g.next())) }
            let (_, r) = try frames(of: damaged)
            #expect(r.damage != nil || r.endSeen)
        }
    }
}

@Suite struct HeaderSpecification {
    @Test func everyHeaderFieldRoundTrips() throws {
        var h = SnapshotHeader()
        h.ticksPerSecond = 2_994_000_123.5
        h.anchorTicks = 123_456_789_012
        h.anchorMonotonicNs = 987_654_321
        h.anchorWallClockNs = -5
        h.pid = 77
        h.executable = "/srv/app"
        h.hostname = "héllo"
        h.minAgeNs = 5_000_000_000
        h.maxBytes = 1 << 24
        h.chunkBytes = 65536
        h.trigger = "slow request"
        h.triggerFields = [SnapshotField("path", "/ping"), SnapshotField("", "")]
        h.windowStartTicks = 1
        h.windowEndTicks = 2
        h.producer = "test"
        let bytes = h.encoded()
        let fixed = try SnapshotHeader.decodeFixed(Array(bytes[0..<20]))
        let back = try SnapshotHeader.decode(major: fixed.major, minor: fixed.minor,
                                             fields: Array(bytes[20...]), crc: fixed.crc)
        #expect(back == h)
    }

    @Test func ticksMapToNanosecondsThroughTheAnchor() {
        var h = SnapshotHeader()
        h.ticksPerSecond = 3e9
        h.anchorTicks = 3_000_000_000
        h.anchorMonotonicNs = 10_000
        #expect(h.nanoseconds(ticks: 6_000_000_000) == 1_000_010_000)
        #expect(h.nanoseconds(ticks: 3_000_000_300) == 10_100)
        #expect(h.nanoseconds(ticks: 0) == 10_000 - 1_000_000_000)
    }
}

@Suite struct CompressionSpecification {
    @Test func payloadsRoundTripThroughZlib() throws {
        var g = SeededRandom(seed: 3)
        let d = try Deflater(level: 6), i = try Inflater()
        for n in [0, 1, 100, 65536] {
            let input = (0..<n).map { _ in UInt8(truncatingIfNeeded: g.next() % 7) }
            let z = try d.compress(input)
            #expect(try i.inflate(z[...], rawLength: n) == input)
        }
    }

    @Test func wrongRawLengthIsDamage() throws {
        let z = try Deflater().compress(Array(repeating: 1, count: 1000))
        let i = try Inflater()
        #expect(throws: CompressionError.self) { try i.inflate(z[...], rawLength: 999) }
        #expect(throws: CompressionError.self) { try i.inflate(z[...], rawLength: 1001) }
        #expect(throws: CompressionError.self) { try i.inflate(z.dropLast(3), rawLength: 1000) }
    }
}
