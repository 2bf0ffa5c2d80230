// The Go reader against Go's own event order: the sequence of goroutine state transitions, with
// their exact times (ordering by sequence numbers, Go's timestamp fix-ups included), equals what
// `go tool trace -d=parsed` prints (goldens: Fixtures/go/**/*.transitions.txt).

import Foundation
import Testing
import TraceModel
@testable import TraceReaders

@Suite("Go reader orders events like Go's reader")
struct GoOrderOracleTests {
    @Test("every goroutine transition comes out in Go's order, at Go's time, with Go's wait reason",
          arguments: GoFixtures.oracleTraces)
    func transitionsMatchGo(trace: String) throws {
        let golden = try String(contentsOf: GoFixtures.go.appendingPathComponent(trace + ".transitions.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var reader = try GoTraceReader(path: GoFixtures.path(trace))
        let d = try drain(&reader)
        var ours: [String] = []
        for e in d.events {
            // Goroutines first seen in the first generation are placed at the window start; Go
            // prints those as Undetermined->X transitions, which the goldens leave out.
            guard e.timeNs != d.metadata.startNs,
                  case .taskState(let task, let state, _, _, _) = e.kind,
                  !task.isGoUserTask else { continue }
            let g = task.raw == GoStateMachine.goroutineZero ? 0 : task.raw
            switch state {
            case .running: ours.append("\(e.timeNs) \(g) Running")
            case .runnable: ours.append("\(e.timeNs) \(g) Runnable")
            case .syscall: ours.append("\(e.timeNs) \(g) Syscall")
            case .ended: ours.append("\(e.timeNs) \(g) NotExist")
            case .blocked(let r):
                var reason = d.tables.string(r)
                if reason == GoStateMachine.reasonUnknown || reason == GoStateMachine.reasonBeforeWindow { reason = "" }
                ours.append("\(e.timeNs) \(g) Waiting \"\(reason)\"")
            }
        }
        // Go prints a reason for every transition; only waiting reasons are part of the model.
        let expected = golden.map { line -> String in
            line.contains(" Waiting ") ? line : String(line[..<line.range(of: " \"")!.lowerBound])
        }
        #expect(ours.count == expected.count)
        let firstDifference = zip(ours, expected).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(firstDifference == nil,
                "\(trace): first difference at \(firstDifference?.offset ?? -1): ours \(firstDifference?.element.0 ?? "") vs Go \(firstDifference?.element.1 ?? "")")
    }
}
