// One actor's track in the Perfetto output (under "Actors"): a slice per hold, named by the
// holding task, and a hand-off arrow from a hold to the next one when the next holder was
// waiting in the actor's queue as the previous hold ended (as ChromeActorTrack draws them).
//
// Invariants:
// - Holds never overlap (ActorStateTracker ends a hold before the next begins): the track is a
//   sequence of sibling slices.
// - A hold's begin is written when the exporter syncs (time moved past the acquisition), so a
//   hold that ends at the instant it began was never begun and is never written; its end is
//   written at once. Packets therefore stay in time order with every other track's.
// - A hand-off arrow starts on the end of a hold that ended with tasks waiting, and ends on the
//   begin of the next hold if its holder was one of them. When the next hold is not a hand-off
//   (or is never written), the arrow's start is left without an end: trace processors keep
//   only arrows with both ends, so the arrows shown are exactly ChromeActorTrack's.

import TraceModel

struct PerfettoActorTrack {
    private struct Hold {
        var task: TaskID
        var name: StringID
        var sinceNs: Int64
        var begun: Bool
        /// The hand-off arrow that ends on this hold's begin (0: none).
        var flowEnd: UInt64
    }

    let uuid: UInt64
    private var open: Hold?
    /// The arrow started on the end of the last hold, waiting for the next holder.
    private var handOffFlow: UInt64 = 0
    /// The open hold's begin is not written yet.
    private(set) var dirty = false

    init(uuid: UInt64) {
        self.uuid = uuid
    }

    /// `task` (named `name`) holds the actor from `t`; `waited`: it was queued on the actor.
    /// Returns true when the track became dirty (the caller queues it for the next sync).
    mutating func acquired(_ task: TaskID, name: StringID, waited: Bool, at t: Int64) -> Bool {
        let flow = waited ? handOffFlow : 0
        handOffFlow = 0
        open = Hold(task: task, name: name, sinceNs: t, begun: false, flowEnd: flow)
        let wasClean = !dirty
        dirty = true
        return wasClean
    }

    /// Writes the open hold's begin.
    mutating func sync(writer: inout PerfettoPacketWriter, tables: TraceTables) {
        guard dirty else { return }
        dirty = false
        guard var hold = open, !hold.begun else { return }
        let name = writer.taskNameIID(hold.task, name: hold.name, tables: tables)
        if hold.flowEnd != 0 {
            writer.sliceBegin(track: uuid, at: hold.sinceNs, name: name, task: hold.task.raw, terminating: [hold.flowEnd])
        } else {
            writer.sliceBegin(track: uuid, at: hold.sinceNs, name: name, task: hold.task.raw)
        }
        hold.begun = true
        open = hold
    }

    /// The hold in progress ended at `endNs` with `waiting` tasks queued; `flows`: hand-off
    /// arrows are wanted.
    mutating func holdEnded(at endNs: Int64, waiting: Int, flows: Bool, nextFlowID: inout UInt64,
                            writer: inout PerfettoPacketWriter) {
        guard let hold = open else { return }
        open = nil
        dirty = false
        guard hold.begun else { return }
        var flow: UInt64 = 0
        if flows && waiting > 0 {
            flow = nextFlowID
            nextFlowID += 1
        }
        handOffFlow = flow
        writer.sliceEnd(track: uuid, at: endNs, flow: flow)
    }

    /// Ends the hold in progress at the window end.
    mutating func close(at endNs: Int64, nextFlowID: inout UInt64, writer: inout PerfettoPacketWriter,
                        tables: TraceTables) {
        if dirty, let hold = open, endNs > hold.sinceNs { sync(writer: &writer, tables: tables) }
        holdEnded(at: endNs, waiting: 0, flows: false, nextFlowID: &nextFlowID, writer: &writer)
        handOffFlow = 0
    }
}
