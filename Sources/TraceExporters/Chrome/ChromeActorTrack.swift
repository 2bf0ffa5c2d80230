// One actor's track in the Chrome output (process 4 "Actors"): a slice per hold, named by the
// task holding the actor, and a hand-off arrow from a hold to the next one when the next holder
// was waiting in the actor's queue as the previous hold ended.
//
// Invariants:
// - Holds never overlap (ActorStateTracker ends a hold before the next begins), so the track is
//   a sequence of sibling slices: contention reads as one solid bar of back-to-back holds, each
//   ending before the next begins at the same ts.
// - A hold is written once its end is known: a hold of zero nanoseconds is never written, and
//   no arrow ever points at a slice that does not exist.
// - An arrow's start must lie inside its source slice and its end inside its target slice, but
//   whether the target exists is known only when the target hold ends. So a hold that ended with
//   tasks waiting is written without its end (`handingOffEndNs`) until the next hold ends or
//   turns out not to be a hand-off; then the start ("s", before that end at the same ts) and the
//   end ("f", right after the target's begin) are written together, or neither. Per track,
//   events therefore stay ordered by time. At most one hold per actor is deferred.

import TraceModel

struct ChromeActorTrack {
    private struct Hold {
        var task: TaskID
        var name: StringID
        var sinceNs: Int64
    }

    let tid: UInt64
    /// `,"pid":4,"tid":T,"ts":` for this track's events.
    let fields: InlineBytes
    /// The hold in progress, not written yet.
    private var open: Hold?
    /// The end of the last hold, whose begin is written and whose end is not: it ended with
    /// tasks waiting and may be the source of a hand-off arrow. Nil: nothing deferred.
    private var handingOffEndNs: Int64?

    init(tid: UInt64) {
        self.tid = tid
        self.fields = ChromeEventWriter.trackFields(pid: ChromeProcess.actors, tid: tid)
    }

    /// `task` (named `name`) holds the actor from `t`; `waited`: it was queued on the actor.
    mutating func acquired(_ task: TaskID, name: StringID, waited: Bool, at t: Int64, writer: inout ChromeEventWriter) {
        if let endNs = handingOffEndNs, !waited {
            // Not a hand-off: the deferred hold just ends.
            writer.writeEnd(track: fields, timeNs: endNs)
            handingOffEndNs = nil
        }
        open = Hold(task: task, name: name, sinceNs: t)
    }

    /// The hold in progress ended at `endNs` with `waiting` tasks queued; `flows`: hand-off
    /// arrows are wanted (without them no end is ever deferred).
    mutating func holdEnded(at endNs: Int64, waiting: Int, flows: Bool, nextFlowID: inout UInt64,
                            writer: inout ChromeEventWriter, tables: TraceTables) {
        guard let hold = open else { return }
        open = nil
        let written = endNs > hold.sinceNs
        if let sourceEndNs = handingOffEndNs {
            handingOffEndNs = nil
            if written {
                let id = nextFlowID
                nextFlowID += 1
                writer.writeFlowStart(id: id, track: fields, timeNs: sourceEndNs, kind: .handOff)
                writer.writeEnd(track: fields, timeNs: sourceEndNs)
                writeBegin(hold, writer: &writer, tables: tables)
                writer.writeFlowEnd(id: id, track: fields, timeNs: hold.sinceNs, kind: .handOff)
            } else {
                writer.writeEnd(track: fields, timeNs: sourceEndNs)
            }
        } else if written {
            writeBegin(hold, writer: &writer, tables: tables)
        }
        guard written else { return }
        if flows && waiting > 0 {
            handingOffEndNs = endNs
        } else {
            writer.writeEnd(track: fields, timeNs: endNs)
        }
    }

    private func writeBegin(_ hold: Hold, writer: inout ChromeEventWriter, tables: TraceTables) {
        writer.writeHoldBegin(track: fields, timeNs: hold.sinceNs, task: hold.task, name: hold.name, tables: tables)
    }

    /// Ends everything at the window end: the hold in progress closes at `endNs`, and nothing
    /// follows a deferred hold.
    mutating func close(at endNs: Int64, nextFlowID: inout UInt64, writer: inout ChromeEventWriter,
                        tables: TraceTables) {
        holdEnded(at: endNs, waiting: 0, flows: false, nextFlowID: &nextFlowID, writer: &writer, tables: tables)
        if let sourceEndNs = handingOffEndNs {
            writer.writeEnd(track: fields, timeNs: sourceEndNs)
            handingOffEndNs = nil
        }
    }
}
