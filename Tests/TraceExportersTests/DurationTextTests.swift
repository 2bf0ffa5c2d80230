// DurationText's two forms: the converter's compact one (rounded half up, signed) and the
// recorder's spaced one for logs and triggers (truncated, never negative).

import Testing
import TraceModel

@Suite struct DurationTextTests {
    @Test("compact: the unit that keeps the number under 1000, three decimals rounded half up")
    func compact() {
        #expect(DurationText.format(0) == "0")
        #expect(DurationText.format(850) == "850ns")
        #expect(DurationText.format(12_345) == "12.345µs")
        #expect(DurationText.format(3_500_000) == "3.500ms")
        #expect(DurationText.format(2_100_000_000) == "2.100s")
        #expect(DurationText.format(1_999_500) == "2.000ms", "half a microsecond rounds up")
        #expect(DurationText.format(1_999_499) == "1.999ms")
        #expect(DurationText.format(-1_500) == "-1.500µs")
        #expect(DurationText.format(.max) == "9223372036.855s", "no overflow")
    }

    @Test("spaced: seconds and milliseconds with three decimals, truncated; whole microseconds below")
    func spaced() {
        #expect(DurationText.text(nanoseconds: 2_126_059_999) == "2.126 s")
        #expect(DurationText.text(nanoseconds: 612_004_999) == "612.004 ms")
        #expect(DurationText.text(nanoseconds: 85_999) == "85 us")
        #expect(DurationText.text(nanoseconds: -5) == "0 us")
        #expect(DurationText.milliseconds(nanoseconds: 2_126_059_123) == "2126.059")
        #expect(DurationText.milliseconds(nanoseconds: 7_000) == "0.007")
    }

    @Test("a Duration in nanoseconds: never negative, saturated when it does not fit")
    func nanoseconds() {
        #expect(DurationText.nanoseconds(.milliseconds(1_500)) == 1_500_000_000)
        #expect(DurationText.nanoseconds(.nanoseconds(-1)) == 0)
        #expect(DurationText.nanoseconds(.seconds(Int64.max)) == .max)
    }
}
