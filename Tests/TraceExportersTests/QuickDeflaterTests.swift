// Specification of QuickDeflater: whatever the input, zlib inflates its output back to the
// input exactly, within the stated size bound; repetitive input shrinks.

import Testing
@testable import TraceExporters
import TraceModel

@Suite struct QuickDeflaterTests {
    /// Compresses with a guard zone after the bound + slack, and checks the zone is untouched.
    func deflate(_ input: [UInt8], with deflater: QuickDeflater = QuickDeflater(),
                 sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8] {
        let room = QuickDeflater.maxCompressedSize(input.count) + QuickDeflater.outputSlack
        var buffer = [UInt8](repeating: 0xA5, count: room + 64)
        let written = input.withUnsafeBytes { source in
            buffer.withUnsafeMutableBufferPointer { deflater.compress(source, into: $0.baseAddress!) }
        }
        #expect(written <= QuickDeflater.maxCompressedSize(input.count), sourceLocation: sourceLocation)
        #expect(buffer[room...].allSatisfy { $0 == 0xA5 }, "wrote past its slack", sourceLocation: sourceLocation)
        return Array(buffer[..<written])
    }

    func roundTrip(_ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let compressed = deflate(input, sourceLocation: sourceLocation)
        #expect(try inflateAll(compressed, gzip: false) == input, sourceLocation: sourceLocation)
        return compressed
    }

    /// A deterministic byte stream (xorshift), incompressible to a deflater.
    func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var x = seed
        return (0..<count).map { _ in
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            return UInt8(truncatingIfNeeded: x >> 24)
        }
    }

    @Test func emptyAndTinyInputsRoundTrip() throws {
        for count in 0...9 {
            _ = try roundTrip(Array(repeating: 7, count: count))
            _ = try roundTrip((0..<count).map { UInt8($0 * 37 & 0xFF) })
        }
    }

    @Test func noiseRoundTripsWithinTheBound() throws {
        // Every byte value, literals of 8 and 9 bits, no matches to speak of.
        _ = try roundTrip(noise(70_000, seed: 1))
        _ = try roundTrip((0..<256).map { UInt8($0) } + (0..<256).map { UInt8(255 - $0) })
    }

    @Test func longRunsUseMaximalMatches() throws {
        let run = [UInt8](repeating: 0x42, count: 100_000)
        let compressed = try roundTrip(run)
        // Matches of 258 bytes at distance 1: about 10 bits per 258 bytes.
        #expect(compressed.count < 1_000)
    }

    @Test func matchesReachTheWindowEdgeAndNoFurther() throws {
        // A block repeated at distances around 32768: the farthest deflate can express.
        for gap in [32_768 - 64, 32_768 - 63, 32_768 - 62, 32_768 - 50] {
            let block = noise(64, seed: UInt64(gap))
            let input = block + noise(gap, seed: 99) + block + block
            _ = try roundTrip(input)
        }
    }

    @Test func everyMatchLengthAndManyDistancesRoundTrip() throws {
        // Repeats of lengths 1...300 at distances from 1 to a few thousand, mixed with noise.
        var input: [UInt8] = []
        let source = noise(4_096, seed: 5)
        for length in 1...300 {
            let distance = 1 + (length * 13) % 3_000
            input += noise(length % 7, seed: UInt64(length))
            if input.count >= distance {
                let start = input.count - distance
                for i in 0..<length { input.append(input[start + i]) }  // overlapping copies too
            } else {
                input += source.prefix(length)
            }
        }
        _ = try roundTrip(input)
    }

    @Test func protobufLikeRunsShrinkSeveralfold() throws {
        // Packets of a few fields with small varying values, as the perfetto writer emits.
        var input: [UInt8] = []
        var value: UInt32 = 1
        while input.count < 65_536 {
            value = value &* 1_103_515_245 &+ 12_345
            input += [0x0A, 0x0C, 0x40, 0x01, 0x50, 0x01, 0x5A, 0x06, 0x48, UInt8(1 + value >> 30),
                      0x58, UInt8(value >> 24 & 0x7F), 0x50, UInt8(value >> 16 & 0x1F)]
        }
        let compressed = try roundTrip(input)
        #expect(compressed.count * 3 < input.count)
    }

    @Test func oneDeflaterServesManyIndependentInputs() throws {
        // The hash table is cleared per call: a second input never refers into the first.
        let deflater = QuickDeflater()
        let first = noise(5_000, seed: 11)
        let second = first + first
        _ = deflate(first, with: deflater)
        let compressed = deflate(second, with: deflater)
        #expect(try inflateAll(compressed, gzip: false) == second)
        #expect(compressed == deflate(second))
    }

    @Test("runs deflated on the worker thread come out in order, byte for byte as in place")
    func workerMatchesInPlace() {
        let runs: [[UInt8]] = (0..<200).map { i in
            let n = noise(100 + (i * 7919) % 70_000, seed: UInt64(i + 1))
            return i % 3 == 0 ? n : Array(n.prefix(500)) + Array(repeating: UInt8(i), count: i * 50)
        }
        func compressed(parallel: Bool) -> [UInt8] {
            let compressor = PerfettoPacketCompressor(parallel: parallel)
            var output = OutputBuffer()
            for run in runs { run.withUnsafeBytes { compressor.write($0, into: &output) } }
            compressor.complete(into: &output)
            return output.bytes
        }
        let inPlace = compressed(parallel: false)
        #expect(!inPlace.isEmpty)
        #expect(compressed(parallel: true) == inPlace)
    }
}
