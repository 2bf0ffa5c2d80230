// A line of UTF-8 text written into caller-provided memory (a stack buffer), for records whose
// text is assembled per request: nothing is allocated.
//
// Invariants: never writes past the buffer; text that does not fit is cut (the caller sizes the
// buffer for what it writes). Numbers are written as DurationText writes them.

struct UTF8Line {
    private let buffer: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    @inline(__always)
    init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// The bytes written so far.
    @inline(__always)
    var written: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count])
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let n = min(bytes.count, buffer.count - count)
        guard n > 0 else { return }
        UnsafeMutableRawBufferPointer(rebasing: buffer[count..<count + n])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
        count += n
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    mutating func append(byte: UInt8) {
        guard count < buffer.count else { return }
        buffer[count] = byte
        count += 1
    }

    /// `value` in decimal, at least `minDigits` digits (zero-padded).
    @inline(__always)
    mutating func appendDecimal(_ value: Int64, minDigits: Int = 1) {
        if value < 0 { append(byte: UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64's 20 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            } while magnitude > 0
            while n < min(minDigits, d.count) {
                d[n] = UInt8(ascii: "0")
                n += 1
            }
            while n > 0 {
                n -= 1
                append(byte: d[n])
            }
        }
    }

    /// Milliseconds with three decimals ("2126.059"), never negative: `DurationText.milliseconds`.
    @inline(__always)
    mutating func appendMilliseconds(nanoseconds ns: Int64) {
        let us = max(0, ns) / 1000
        appendDecimal(us / 1000)
        append(byte: UInt8(ascii: "."))
        appendDecimal(us % 1000, minDigits: 3)
    }
}
