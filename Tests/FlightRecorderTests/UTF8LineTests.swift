// Specification: a request's log line is assembled in a stack buffer with the same text the
// String formatting gives (DurationText's milliseconds, decimal integers), and never past the
// buffer's end.

@testable import FlightRecorder
import Testing
import TraceModel

@Suite struct UTF8LineSpecification {
    private func line(capacity: Int, _ write: (inout UTF8Line) -> Void) -> String {
        withUnsafeTemporaryAllocation(byteCount: capacity, alignment: 1) { buffer in
            var line = UTF8Line(buffer)
            write(&line)
            return String(decoding: line.written, as: UTF8.self)
        }
    }

    @Test("milliseconds read as DurationText writes them",
          arguments: [0, 999, 1000, 12_345, 999_999, 1_000_000, 2_126_059_041, 61_000_000_000, -5, Int64.max])
    func milliseconds(ns: Int64) {
        #expect(line(capacity: 64) { $0.appendMilliseconds(nanoseconds: ns) } == DurationText.milliseconds(nanoseconds: ns))
    }

    @Test("decimals read as String(_:) writes them", arguments: [0, 7, 200, 404, -1, Int64.min + 1, Int64.max])
    func decimal(value: Int64) {
        #expect(line(capacity: 64) { $0.appendDecimal(value) } == String(value))
    }

    @Test func piecesFollowEachOther() {
        let text = line(capacity: 64) {
            $0.append("path=")
            $0.append(byte: UInt8(ascii: "/"))
            $0.appendDecimal(200)
        }
        #expect(text == "path=/200")
    }

    @Test func textThatDoesNotFitIsCutAtTheBuffersEnd() {
        #expect(line(capacity: 8) { $0.append("status="); $0.appendDecimal(404) } == "status=4")
        #expect(line(capacity: 3) { $0.appendMilliseconds(nanoseconds: 2_126_059_041) } == "212")
    }
}
