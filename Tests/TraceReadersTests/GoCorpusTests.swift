// Go's own reader test corpus (src/internal/trace/testdata/tests), converted to binary traces by
// Fixtures/go/corpusconv: every trace Go accepts we accept, every trace Go rejects we reject,
// and with the same reason where Go's expectation names one.

import Foundation
import Testing
import TraceModel
@testable import TraceReaders

@Suite("Go reader on Go's reader test corpus")
struct GoCorpusTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var accept: Bool
        var pattern: String
        var testDescription: String { "\(name) (\(accept ? "accept" : "reject"))" }
    }

    static let cases: [Case] = {
        let manifest = (try? String(contentsOf: GoFixtures.go.appendingPathComponent("corpus/manifest.txt"), encoding: .utf8)) ?? ""
        return manifest.split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            return Case(name: parts[0], accept: parts[1] == "accept", pattern: parts.count > 2 ? parts[2] : "")
        }
    }()

    @Test("the converted corpus is complete (22 cases, 2 of them rejections)")
    func corpusIsComplete() {
        #expect(Self.cases.count == 22)
        #expect(Self.cases.filter { !$0.accept }.count == 2)
    }

    @Test("every accept/reject expectation of Go's corpus holds", arguments: cases)
    func expectationHolds(_ c: Case) throws {
        let bytes = try GoFixtures.bytes("corpus/\(c.name).trace")
        var reader: GoTraceReader
        do {
            reader = try GoTraceReader(bytes: bytes, name: c.name)
        } catch {
            #expect(!c.accept, "\(c.name): refused: \(error)")
            return
        }
        let drained = try drain(&reader)
        if c.accept {
            #expect(drained.damage == nil, "\(c.name): \(drained.damage?.description ?? "")")
            #expect(!drained.events.isEmpty || bytes.count < 200)
        } else {
            let damage = try #require(drained.damage, "\(c.name) should be rejected")
            let re = try NSRegularExpression(pattern: c.pattern)
            let text = damage.description
            #expect(re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil,
                    "\(c.name): \(text) does not match \(c.pattern)")
        }
    }
}
