// Regions opened in one call and closed in another: for span-shaped APIs (swift-distributed-
// tracing's `startSpan` ... `span.end()`), where no closure brackets the work.
//
// Invariants:
// - An `OpenRegion` remembers the task it was opened on, so it can be closed from any thread or
//   task: begin and end carry the same task and readers pair them per task. (A region opened
//   outside any task belongs to its thread; closing it on another thread leaves it open until
//   the window ends, and readers drop the stray end with a warning.)
// - Names are written inline, not interned: span names are run-time text.
// - Renaming closes the region under its old name and opens the rest under the new one at that
//   instant (the format names a region once, at its begin). Hummingbird renames its request
//   span once its handler returned, when its child spans have ended, so the split keeps nesting.
// - While no recorder records, nothing is written and the calls cost a load and a branch.

import CFlightRecorder

public struct OpenRegion: Sendable {
    /// The region's current name.
    public internal(set) var name: String
    let task: UInt64
    /// Whether the begin was recorded (a region begun while not recording is never closed).
    let recorded: Bool

    init(name: String, task: UInt64, recorded: Bool) {
        self.name = name
        self.task = task
        self.recorded = recorded
    }
}

extension Trace {
    /// Opens a region named `name` on the current task; close it with `endRegion`.
    public static func beginRegion(named name: String) -> OpenRegion {
        guard fr_is_recording() else { return OpenRegion(name: name, task: 0, recorded: false) }
        let task = TaskIdentity.current
        StringBytes.with(name) { Emit.regionBegin(task: task, inlineName: $0) }
        return OpenRegion(name: name, task: task, recorded: true)
    }

    /// Closes `region`, from any thread.
    public static func endRegion(_ region: OpenRegion) {
        guard region.recorded, fr_is_recording() else { return }
        StringBytes.with(region.name) { Emit.regionEnd(task: region.task, inlineName: $0) }
    }

    /// From now on the region is called `name`: what came before keeps the old name.
    public static func renameRegion(_ region: inout OpenRegion, to name: String) {
        guard name != region.name else { return }
        if region.recorded && fr_is_recording() {
            let task = region.task
            StringBytes.with(region.name) { Emit.regionEnd(task: task, inlineName: $0) }
            StringBytes.with(name) { Emit.regionBegin(task: task, inlineName: $0) }
        }
        region.name = name
    }
}
