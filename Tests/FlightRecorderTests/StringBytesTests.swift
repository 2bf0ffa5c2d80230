// Specification: annotations read a String's UTF-8 bytes exactly, whatever the string's form,
// with the two-word fast path on when this platform's layout checked out.

@testable import FlightRecorder
import Foundation
import Testing

@Suite struct StringBytesSpecification {
    /// Strings of every form an annotation may receive.
    static func samples() -> [String] {
        var samples: [String] = ["", "a", "request served", "fifteen bytes!!", "sixteen bytes!!!",
                                 "a literal that is much longer than fifteen bytes, held in the binary",
                                 "é", "naïve café ☕️ 😀 multi-byte"]
        for n in [1, 8, 14, 15, 16, 17, 31, 64, 1000, 70_000] { samples.append(String(repeating: "y", count: n)) }
        samples.append("interpolated \(samples.count) value \(3.25)")
        samples.append(String(Substring("a substring of a longer string".dropFirst(2))))
        samples.append(String(decoding: [0x68, 0x69, 0xC3, 0xA9], as: UTF8.self))
        samples.append(NSString(string: "from an NSString, longer than fifteen bytes") as String)
        samples.append(String(format: "formatted %d", 42))
        var grown = "grown"
        for i in 0..<20 { grown += " \(i)" }
        samples.append(grown)
        return samples
    }

    @Test("the two-word layout checks out on 64-bit little-endian platforms")
    func layoutChecks() {
        #if (arch(x86_64) || arch(arm64)) && _endian(little)
        #expect(StringBytes.verifyLayout())
        #endif
    }

    @Test("every form of String gives exactly its UTF-8 bytes, fast path and standard path alike")
    func exactBytes() {
        StringBytes.verifyLayout()
        for sample in Self.samples() {
            var fast: [UInt8] = []
            StringBytes.with(sample) { fast = Array($0) }
            #expect(fast == Array(sample.utf8), "\(sample.prefix(40))")
            var words: [UInt8]? = nil
            if StringBytes.fromWords(sample, { words = Array($0) }) {
                #expect(words == Array(sample.utf8), "\(sample.prefix(40))")
            }
            var standard: [UInt8] = []
            StringBytes.standard(sample) { standard = Array($0) }
            #expect(standard == Array(sample.utf8))
        }
    }
}
