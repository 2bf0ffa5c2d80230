// Running a blocking piece of work (writing a snapshot: copying, compressing, writing a file)
// without holding a thread of Swift's cooperative pool, which on a small machine has as many
// threads as cores and serves every request.
//
// Invariants: `body` runs exactly once, on a Dispatch worker thread; the caller resumes with its
// result after it returned.

import Dispatch

package enum OffThreadWork {
    package static func run<R: Sendable>(_ body: @escaping @Sendable () -> R) async -> R {
        await withCheckedContinuation { (continuation: CheckedContinuation<R, Never>) in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: body())
            }
        }
    }
}
