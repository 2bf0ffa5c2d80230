// The Go reader against Go's own goroutine analysis: per goroutine, the time our events put in
// each state matches what `go tool trace` reports (goldens in Fixtures/go/**/*.goroutines.json).

import Foundation
import Testing
import TraceModel
@testable import TraceReaders

@Suite("Go reader matches Go's goroutine analysis")
struct GoOracleTests {
    @Test("every goroutine's group, execution, scheduling wait, block-by-reason and syscall time match the oracle within 1% or 2 us",
          arguments: GoFixtures.oracleTraces)
    func matchesOracle(trace: String) throws {
        let goldens = try JSONDecoder().decode(GoroutineGoldens.self,
                                               from: Data(contentsOf: GoFixtures.go.appendingPathComponent(trace + ".goroutines.json")))
        var reader = try GoTraceReader(path: GoFixtures.path(trace))
        let drained = try drain(&reader)
        #expect(drained.damage == nil)
        let times = GoAnalysisTimes(drained)
        var mismatches: [String] = []
        for g in goldens.goroutines {
            guard let ours = times.tasks[GoStateMachine.task(goroutine: g.id)] else {
                mismatches.append("G\(g.id): missing")
                continue
            }
            if ours.group != g.group { mismatches.append("G\(g.id): group \(ours.group) vs \(g.group)") }
            if !closeEnough(ours.running, g.exec_ns) { mismatches.append("G\(g.id): exec \(ours.running) vs \(g.exec_ns)") }
            if !closeEnough(ours.runnable, g.sched_wait_ns) {
                mismatches.append("G\(g.id): sched wait \(ours.runnable) vs \(g.sched_wait_ns)")
            }
            if !closeEnough(ours.syscall, g.syscall_ns + g.syscall_block_ns) {
                mismatches.append("G\(g.id): syscall \(ours.syscall) vs \(g.syscall_ns)+\(g.syscall_block_ns)")
            }
            for reason in Set(ours.blocked.keys).union(g.block_ns.keys) {
                let a = ours.blocked[reason] ?? 0, b = g.block_ns[reason] ?? 0
                if !closeEnough(a, b) { mismatches.append("G\(g.id): block(\(reason)) \(a) vs \(b)") }
            }
        }
        let goldenIDs = Set(goldens.goroutines.map { GoStateMachine.task(goroutine: $0.id) })
        let ourGoroutines = Set(times.tasks.keys.filter { !$0.isGoUserTask })
        for extra in ourGoroutines.subtracting(goldenIDs) { mismatches.append("G\(extra): not in the oracle") }
        #expect(mismatches.isEmpty, "\(trace): \(mismatches.count) mismatches: \(mismatches.prefix(20).joined(separator: "; "))")
        #expect(goldens.goroutines.count > 5)
    }
}
