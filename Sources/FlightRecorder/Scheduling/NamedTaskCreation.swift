// taskCreated for a task named with `Task(name:)`: the name is also its group, so summaries
// group named tasks by name and anonymous ones (empty group) by their creator's innermost
// region (format 7.1).
//
// Invariants:
// - Same encoding and hot-path rules as Emit (no lock, no allocation): both strings are
//   written inline (task names are dynamic; interning them would grow the process-wide string
//   table without bound), cut like every inline string at Emit.maxInlineBytes.
// - Lives here because the recorder's Emit has no taskCreated with an inline group; it belongs
//   beside Emit's other task records.

import CFlightRecorder
import TraceFormat

extension Emit {
    /// taskCreated with `name` written inline as both the task's name and its group.
    static func namedTaskCreated(task: UInt64, parent: UInt64, name: UnsafeRawBufferPointer) {
        let text = clip(name)
        guard let s = reserve(extra: 2 * text.count) else { return }
        let t = now(s)
        let end = EventRecord.taskCreated(dt: t &- s.pointee.last_ticks, task: task, parent: parent,
                                          name: text, nameID: 0, group: text, groupID: 0,
                                          at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }
}
