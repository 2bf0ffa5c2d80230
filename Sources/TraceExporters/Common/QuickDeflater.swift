// A deflate encoder (RFC 1951) in zlib framing (RFC 1950) that trades ratio for speed, for
// the binary exporters' runs of protobuf packets: repetitive field keys and small varints, which
// a single hash probe per position finds most of. zlib's fastest level spends most of its time
// on what this leaves out (hash chains, inserting every position, building Huffman codes).
//
// Encoding: one hash probe per input position (matches of 5 bytes or more taken); no lazy
// matching, no chains (each hash remembers its last position only); a single final block with
// deflate's fixed Huffman codes, so there are no code tables to count, build or send.
//
// Invariants:
// - `compress` writes one complete zlib stream for its input: header 78 01, one final block,
//   the Adler-32 of the input. Any inflater reads it; nothing carries over between calls (the
//   hash table is cleared per call), so each output is independent.
// - Output depends only on the input (no zlib version in it): the same bytes on every machine.
// - Matches are 5...258 bytes long at distances 1...32768, inside the one input.
// - Output size is at most `maxCompressedSize(n)`: a literal costs at most 9 bits, a match of
//   at least 5 bytes at most 31 bits (under 9 a byte), plus 2 header bytes, the block's 3 bits
//   and 7-bit end code, padding and 4 trailer bytes.
//
// Soundness of the raw pointers: input loads are at `p` with `p + 4 <= n` (hash) and
// `p + len + 8 <= n` (8-byte compares) else byte by byte below `n`; match candidates are
// earlier positions of the same input. Output stores are 8 bytes at the write cursor, which
// stays below `maxCompressedSize(n)`; the caller's buffer has `outputSlack` bytes more for the
// over-wide store. Tables are allocated in init with the counts indexed (hash values are
// below `hashSize`; lengths 3...258; literals 0...255) and freed in deinit.

import CZlib

final class QuickDeflater {
    /// Bytes the output buffer needs beyond `maxCompressedSize` (bits are stored 8 bytes at a time).
    static let outputSlack = 8

    static func maxCompressedSize(_ n: Int) -> Int { n + (n + 7) / 8 + 16 }

    private static let hashBits = 14
    private static let hashSize = 1 << hashBits
    private static let maxDistance = 32768
    private static let minMatch = 4
    /// Shorter matches are written as literals: a 4-byte match far back costs nearly what its
    /// literals do, and taking it skips the positions a longer match could start from.
    private static let minAcceptedMatch = 5
    private static let maxMatch = 258

    /// Position + 1 of the last input position with each hash (0: none in this input).
    private let hashTable: UnsafeMutablePointer<UInt32>
    /// Per literal byte: bit-reversed fixed code | code length << 24.
    private let literalCodes: UnsafeMutablePointer<UInt32>
    /// Per match length 0...258 (3...258 used): the length symbol's reversed code then its
    /// extra bits | their total length << 24.
    private let lengthCodes: UnsafeMutablePointer<UInt32>
    /// Per distance code 0...29: its reversed 5-bit fixed code.
    private let distanceCodes: UnsafeMutablePointer<UInt32>

    init() {
        hashTable = .allocate(capacity: Self.hashSize)
        literalCodes = .allocate(capacity: 256)
        lengthCodes = .allocate(capacity: Self.maxMatch + 1)
        distanceCodes = .allocate(capacity: 30)
        for byte in 0..<256 {
            let (code, length) = Self.fixedCode(byte)
            literalCodes[byte] = Self.reversed(code, length) | UInt32(length) << 24
        }
        // Length symbols 257...285: their first length and extra bits (RFC 1951, 3.2.5).
        let bases: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                            131, 163, 195, 227, 258]
        let extras: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        lengthCodes.initialize(repeating: 0, count: Self.maxMatch + 1)
        for length in 3...Self.maxMatch {
            // The last symbol whose base is not above the length (258 is symbol 285's alone).
            let index = bases.lastIndex { $0 <= length }!
            let (code, codeLength) = Self.fixedCode(257 + index)
            let bits = Self.reversed(code, codeLength) | UInt32(length - bases[index]) << UInt32(codeLength)
            lengthCodes[length] = bits | UInt32(codeLength + extras[index]) << 24
        }
        for code in 0..<30 { distanceCodes[code] = Self.reversed(code, 5) }
    }

    deinit {
        hashTable.deallocate()
        literalCodes.deallocate()
        lengthCodes.deallocate()
        distanceCodes.deallocate()
    }

    /// The fixed Huffman code of a literal/length symbol and its length (RFC 1951, 3.2.6).
    private static func fixedCode(_ symbol: Int) -> (code: Int, length: Int) {
        switch symbol {
        case 0...143: (0x30 + symbol, 8)
        case 144...255: (0x190 + symbol - 144, 9)
        case 256...279: (symbol - 256, 7)
        default: (0xC0 + symbol - 280, 8)
        }
    }

    /// Huffman codes go out most significant bit first into deflate's LSB-first bit stream.
    private static func reversed(_ code: Int, _ length: Int) -> UInt32 {
        var result: UInt32 = 0
        for i in 0..<length where code & (1 << i) != 0 { result |= 1 << UInt32(length - 1 - i) }
        return result
    }

    /// Writes the zlib stream of `input` at `output`, which has room for
    /// `maxCompressedSize(input.count) + outputSlack` bytes; returns the bytes written.
    func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>) -> Int {
        let n = input.count
        // Positions are kept as UInt32 in the hash table (callers pass runs of about 64 KiB).
        precondition(n < Int(UInt32.max), "QuickDeflater: input of \(n) bytes is too large for one stream")
        var bits = BitSink(output)
        bits.put(0x0178, 16)  // zlib header: deflate, 32 KiB window, fastest level; check bits
        bits.put(0b011, 3)  // final block, fixed Huffman codes
        guard let source = input.baseAddress, n > 0 else {
            bits.put(0, 7)  // end of block
            return bits.finish(adler: 1)
        }
        hashTable.initialize(repeating: 0, count: Self.hashSize)
        let table = hashTable
        let literals = literalCodes
        let lengths = lengthCodes
        let distances = distanceCodes
        var p = 0
        if n >= Self.minMatch {
            let lastHashed = n - Self.minMatch
            while p <= lastHashed {
                let p0 = p
                let word = source.loadUnaligned(fromByteOffset: p, as: UInt32.self)
                let hash = Int(truncatingIfNeeded: (word &* 0x9E37_79B1) >> UInt32(32 - Self.hashBits))
                let candidate = Int(table[hash]) - 1
                table[hash] = UInt32(truncatingIfNeeded: p + 1)
                let distance = p - candidate
                guard candidate >= 0, distance <= Self.maxDistance,
                      source.loadUnaligned(fromByteOffset: candidate, as: UInt32.self) == word else {
                    let code = literals[Int(source.load(fromByteOffset: p, as: UInt8.self))]
                    bits.put(UInt64(code & 0xFF_FFFF), Int(code >> 24))
                    p += 1
                    continue
                }
                let length = Self.matchLength(source, p, candidate, limit: min(Self.maxMatch, n - p))
                guard length >= Self.minAcceptedMatch else {
                    let code = literals[Int(source.load(fromByteOffset: p, as: UInt8.self))]
                    bits.put(UInt64(code & 0xFF_FFFF), Int(code >> 24))
                    p += 1
                    continue
                }
                let lengthCode = lengths[length]
                let distanceBits = Self.distanceBits(distance, distances)
                let lengthBitCount = Int(lengthCode >> 24)
                bits.put(UInt64(lengthCode & 0xFF_FFFF) | distanceBits.bits << UInt64(lengthBitCount),
                         lengthBitCount + distanceBits.count)
                // Index the positions inside the match too: the next repeat of a packet is
                // found at its start, not only where the last match happened to begin.
                let matchEnd = min(p + length, lastHashed + 1)
                p += 1
                while p < matchEnd {
                    let inner = source.loadUnaligned(fromByteOffset: p, as: UInt32.self)
                    table[Int(truncatingIfNeeded: (inner &* 0x9E37_79B1) >> UInt32(32 - Self.hashBits))] =
                        UInt32(truncatingIfNeeded: p + 1)
                    p += 1
                }
                p = p0 + length
            }
        }
        while p < n {
            let code = literals[Int(source.load(fromByteOffset: p, as: UInt8.self))]
            bits.put(UInt64(code & 0xFF_FFFF), Int(code >> 24))
            p += 1
        }
        bits.put(0, 7)  // end of block (symbol 256: seven zero bits)
        let adler = adler32(1, source.assumingMemoryBound(to: Bytef.self), uInt(n))
        return bits.finish(adler: UInt32(truncatingIfNeeded: adler))
    }

    /// Length of the common prefix at `a` and `b` (already known to be at least 4), at most `limit`.
    @inline(__always)
    private static func matchLength(_ source: UnsafeRawPointer, _ a: Int, _ b: Int, limit: Int) -> Int {
        var length = Self.minMatch
        while length + 8 <= limit {
            let x = source.loadUnaligned(fromByteOffset: a + length, as: UInt64.self)
                ^ source.loadUnaligned(fromByteOffset: b + length, as: UInt64.self)
            if x != 0 { return length + x.littleEndian.trailingZeroBitCount >> 3 }
            length += 8
        }
        while length < limit,
              source.load(fromByteOffset: a + length, as: UInt8.self) == source.load(fromByteOffset: b + length, as: UInt8.self) {
            length += 1
        }
        return length
    }

    /// A distance's code and extra bits (RFC 1951, 3.2.5): codes 0-3 are distances 1-4; above,
    /// each pair of codes doubles the range, with one extra bit more.
    @inline(__always)
    private static func distanceBits(_ distance: Int, _ codes: UnsafeMutablePointer<UInt32>) -> (bits: UInt64, count: Int) {
        let x = UInt32(truncatingIfNeeded: distance - 1)
        if x < 4 { return (UInt64(codes[Int(x)]), 5) }
        let top = 31 - x.leadingZeroBitCount  // >= 2
        let extraCount = top - 1
        let code = 2 * top + Int((x >> UInt32(extraCount)) & 1)
        let extra = UInt64(x & ((1 << UInt32(extraCount)) - 1))
        return (UInt64(codes[code]) | extra << 5, 5 + extraCount)
    }
}

/// Deflate's LSB-first bit stream, written 4 bytes at a time through an 8-byte store.
private struct BitSink {
    let start: UnsafeMutablePointer<UInt8>
    var cursor: UnsafeMutablePointer<UInt8>
    var buffer: UInt64 = 0
    var count = 0

    init(_ start: UnsafeMutablePointer<UInt8>) {
        self.start = start
        cursor = start
    }

    /// Appends the low `n` bits of `value` (n <= 32; `value` has no bits above them).
    @inline(__always)
    mutating func put(_ value: UInt64, _ n: Int) {
        buffer |= value << UInt64(count)
        count += n
        if count >= 32 {
            UnsafeMutableRawPointer(cursor).storeBytes(of: buffer.littleEndian, as: UInt64.self)
            cursor += 4
            buffer >>= 32
            count -= 32
        }
    }

    /// Pads to a byte, appends the Adler-32 (big-endian); returns the bytes written in all.
    mutating func finish(adler: UInt32) -> Int {
        UnsafeMutableRawPointer(cursor).storeBytes(of: buffer.littleEndian, as: UInt64.self)
        cursor += (count + 7) / 8
        UnsafeMutableRawPointer(cursor).storeBytes(of: adler.bigEndian, as: UInt32.self)
        cursor += 4
        return cursor - start
    }
}
