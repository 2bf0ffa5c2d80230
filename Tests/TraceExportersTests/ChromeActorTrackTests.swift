// Specification of the Chrome exporter's actor tracks (ChromeActorTrack): process 4 "Actors",
// a track per actor named by its label, a slice per hold named by the holding task, hand-off
// arrows; every output also goes through checkChrome's invariants.

import Foundation
import Testing
import TraceExporters
import TraceModel

@Suite struct ChromeActorTrackTests {
    func chrome(_ script: TraceScript, options: ChromeOptions = ChromeOptions()) throws -> (String, ChromeTrace) {
        let text = try export(ChromeTraceExporter(options: options), script)
        return (text, checkChrome(text))
    }

    func holds(_ trace: ChromeTrace, tid: Int) -> [String] {
        trace.slices(pid: 4, tid: tid).map { "\($0.depth) \($0.name) \($0.beginUs)-\($0.endUs)" }
    }

    @Test func eachActorHasATrackInAnActorsProcessNamedByItsLabel() throws {
        let (_, trace) = try chrome(ActorContention.script())
        let process = trace.events(ph: "M").first { $0["pid"] as? Int == 4 && $0["name"] as? String == "process_name" }
        #expect((process?["args"] as? [String: Any])?["name"] as? String == "Actors")
        #expect(trace.trackName(pid: 4, tid: 1) == "Inventory")
        #expect(trace.trackName(pid: 4, tid: 2) == "Inventory #2")
    }

    @Test func eachHoldIsASliceNamedByItsTaskBackToBackUnderContention() throws {
        let (_, trace) = try chrome(ActorContention.script())
        // Depth 0 only, each ending where the next begins: one solid bar from 1 µs to 9 µs.
        #expect(holds(trace, tid: 1) == ["0 buyer 1 1.0-5.0", "0 buyer 2 5.0-8.0", "0 task 3 8.0-9.0"])
        #expect(holds(trace, tid: 2) == ["0 buyer 2 8.0-8.5"])
        let taskArgs = trace.events(ph: "B").filter { $0["pid"] as? Int == 4 }
            .compactMap { ($0["args"] as? [String: Any])?["task"] as? Int }
        #expect(taskArgs == [1, 2, 2, 3])
    }

    @Test func handOffDrawsAnArrowFromTheReleasingHoldToTheNextOne() throws {
        let (_, trace) = try chrome(ActorContention.script())
        let starts = trace.events(ph: "s").filter { $0["name"] as? String == "hand-off" }
        let ends = trace.events(ph: "f").filter { $0["name"] as? String == "hand-off" }
        #expect(starts.map { $0["ts"] as? Double } == [5.0, 8.0])
        #expect(ends.map { $0["ts"] as? Double } == [5.0, 8.0])
        #expect((starts + ends).allSatisfy { $0["pid"] as? Int == 4 && $0["tid"] as? Int == 1 && $0["cat"] as? String == "actor" })
        #expect(starts.map { $0["id"] as? Int } == ends.map { $0["id"] as? Int })
        // At the hand-off instant the file reads: arrow start, end of the source slice, begin of
        // the target slice, arrow end; a stable sort by ts binds each end to its slice.
        for ts in [5.0, 8.0] {
            let atHandOff = trace.events.filter { $0["pid"] as? Int == 4 && $0["tid"] as? Int == 1 && $0["ts"] as? Double == ts }
            #expect(atHandOff.compactMap { $0["ph"] as? String } == ["s", "E", "B", "f"])
        }
    }

    @Test func noArrowWhenTheNextHolderDidNotQueue() throws {
        let s = TraceScript(durationNs: 10_000)
        s.created(0, 1, "a")
        s.created(0, 2, "b")
        s.created(0, 3, "c")
        s.actorCreated(0, 9, "Counter")
        s.acquire(0, 9, task: 1, thread: 1)
        s.enqueue(100, 9, task: 2, reason: "actor Counter")
        s.release(1_000, 9, task: 1)
        s.acquire(2_000, 9, task: 3, thread: 1)  // c never queued: not a hand-off
        s.release(3_000, 9, task: 3)
        let (_, trace) = try chrome(s)
        #expect(trace.events(ph: "s").isEmpty)
        #expect(holds(trace, tid: 1) == ["0 a 0.0-1.0", "0 c 2.0-3.0"])
    }

    @Test func holdsOpenAtTheEndCloseAtTheWindowEnd() throws {
        let s = TraceScript(durationNs: 10_000)
        s.created(0, 1, "a")
        s.created(0, 2, "b")
        s.actorCreated(0, 9, "Counter")
        s.acquire(0, 9, task: 1, thread: 1)
        s.enqueue(100, 9, task: 2, reason: "actor Counter")
        s.release(1_000, 9, task: 1)  // b queued, never acquires: the deferred end still comes
        s.actorCreated(0, 10, "Other")
        s.acquire(2_000, 10, task: 1, thread: 1)
        let (_, trace) = try chrome(s)
        #expect(holds(trace, tid: 1) == ["0 a 0.0-1.0"])
        #expect(holds(trace, tid: 2) == ["0 a 2.0-10.0"])
        #expect(trace.events(ph: "s").isEmpty)
    }

    @Test func zeroLengthHoldsLeaveNoSliceAndNoArrow() throws {
        let s = TraceScript(durationNs: 10_000)
        s.created(0, 1, "a")
        s.created(0, 2, "b")
        s.created(0, 3, "c")
        s.actorCreated(0, 9, "Counter")
        s.acquire(0, 9, task: 1, thread: 1)
        s.enqueue(100, 9, task: 2, reason: "actor Counter")
        s.enqueue(100, 9, task: 3, reason: "actor Counter")
        s.release(1_000, 9, task: 1)
        s.acquire(1_000, 9, task: 2, thread: 2)
        s.release(1_000, 9, task: 2)  // zero ns: no target slice, so no arrow from a's hold
        s.acquire(1_000, 9, task: 3, thread: 1)
        s.release(1_500, 9, task: 3)
        let (_, trace) = try chrome(s)
        #expect(holds(trace, tid: 1) == ["0 a 0.0-1.0", "0 c 1.0-1.5"])
        #expect(trace.events(ph: "s").isEmpty && trace.events(ph: "f").isEmpty)
    }

    @Test func handOffArrowsFollowTheFlowsOption() throws {
        let (_, trace) = try chrome(ActorContention.script(), options: ChromeOptions(flows: false))
        #expect(trace.events(ph: "s").isEmpty && trace.events(ph: "f").isEmpty)
        #expect(holds(trace, tid: 1) == ["0 buyer 1 1.0-5.0", "0 buyer 2 5.0-8.0", "0 task 3 8.0-9.0"])
    }

    @Test func blockedStateCarriesTheActorAsItsReason() throws {
        let (_, trace) = try chrome(ActorContention.script())
        #expect(trace.slices(pid: 1, tid: 3).map(\.name) == ["blocked: actor Inventory", "running"])
    }

    @Test func traceWithoutActorsHasNoActorsProcess() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        let (text, _) = try chrome(s)
        #expect(!text.contains("\"pid\":4"))
    }

    @Test(arguments: 1...12)
    func randomActorTracesKeepEveryTrackStrictlyNested(seed: UInt64) throws {
        let s = RandomTrace(seed: seed).script(events: 1_500, actors: true)
        let (_, trace) = try chrome(s)
        let actorSlices = trace.slices.filter { $0.pid == 4 }
        #expect(!actorSlices.isEmpty)
        #expect(actorSlices.allSatisfy { $0.depth == 0 }, "holds of one actor never overlap")
    }
}
