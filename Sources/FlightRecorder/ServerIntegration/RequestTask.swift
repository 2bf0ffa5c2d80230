// The logical task a request runs as, from a server integration's middleware entry to the end
// of the request as that middleware times it (Hummingbird: its response body's write; Vapor:
// the response's return).
//
// Invariants:
// - The task ends exactly once: at `end()`, or when the holder is released without it (a
//   Hummingbird response whose body is never written drops its body writer, and with it this
//   holder; a cancelled request drops the middleware's frame), so
//   no request leaves a task open in later snapshots.
// - Made only for a task that was recorded (id nonzero): while nothing records, the middleware
//   allocates nothing for it.

import Synchronization

package final class RequestTask: Sendable {
    package let task: OpenTask
    private let ended = Atomic<Bool>(false)

    package init(_ task: OpenTask) {
        self.task = task
    }

    package func end() {
        guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Trace.endTask(task)
    }

    deinit {
        end()
    }
}
