// A thread's side of the recorder: first-event registration, chunk hand-over, thread exit.
//
// Invariants:
// - A thread's `fr_thread_state` is created on its first event while recording, registered with
//   the ring (so snapshots see its active chunk) and reached afterwards through the C
//   thread-local pointer only.
// - `refill` is the only way a thread gets a new chunk; it runs at most once per chunk (plus
//   once after each start/stop), takes the ring lock once, and folds evicted chunks after
//   releasing it.
// - A (re)registered thread's first record in a recording is `threadName` when the thread has
//   a name.
// - `refill` also finds or re-checks the thread's direct read of the runtime's current task
//   (`fr_task_slot_refresh`), so that check runs once per chunk.
// - On thread exit the pthread-key destructor hands the active chunk to the ring (marked
//   final) and frees the state: a thread that exits leaks nothing.

import CFlightRecorder
public import CFlightRecorderFastPath
import TraceFormat

@usableFromInline
enum ThreadBuffer {
    /// The slow path of `Emit.reserve`: registers the thread or swaps its full chunk for a
    /// fresh one. Returns the state when a record plus `extra` bytes now fits, else nil.
    @usableFromInline @inline(never)
    static func refill(extra: Int) -> UnsafeMutablePointer<fr_thread_state>? {
        guard fr_is_recording() else { return nil }
        let core = RecorderCore.shared
        let state: UnsafeMutablePointer<fr_thread_state>
        if let existing = fr_current_state() {
            state = existing
        } else {
            guard let fresh = fr_thread_state_alloc() else { return nil }
            fresh.pointee.thread = fr_thread_id()
            fr_thread_stack_bounds(fresh)
            core.register(fresh)
            fr_thread_attach(fresh)
            state = fresh
        }
        // A record emitted by the slow path itself (or by a logger it calls) is dropped.
        guard state.pointee.in_slow_path == 0 else { return nil }
        state.pointee.in_slow_path = 1
        defer { state.pointee.in_slow_path = 0 }
        fr_task_slot_refresh(state)

        let outcome = core.refill(state, extra: extra)
        core.perform(outcome.fold)
        guard outcome.ready else { return nil }
        if outcome.announce { announceName(state) }
        return fr_state_has_room(state, UInt64(truncatingIfNeeded: extra)) ? state : nil
    }

    /// Writes the thread's name, if it has one, as the chunk's first record.
    private static func announceName(_ state: UnsafeMutablePointer<fr_thread_state>) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let n = fr_thread_name(buffer.baseAddress!, 64)
            guard n > 0 else { return }
            Emit.threadName(UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n), into: state)
        }
    }

    /// Called by the pthread-key destructor when a registered thread exits.
    static let exitHook: @convention(c) (UnsafeMutablePointer<fr_thread_state>) -> Void = { state in
        RecorderCore.shared.threadExited(state)
    }
}
