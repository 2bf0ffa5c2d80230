// One recorder records per process, and Swift Testing runs the suites of all test targets in
// one process, in parallel. Every test that records takes this exclusion first, through the
// `.exclusiveRecorder` trait on its suite, so tests of different targets never compete for
// the recorder.
//
// Invariants:
// - At most one test case holds the exclusion; the others wait in arrival order (no polling,
//   no cooperative thread blocked).
// - The trait is recursive: every test case of the suite and its nested suites takes the
//   exclusion for its own run; the suite itself does not (so other targets interleave).

import Testing

public actor RecorderExclusion {
    public static let shared = RecorderExclusion()
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

public struct ExclusiveRecorderTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        await RecorderExclusion.shared.acquire()
        do {
            try await function()
        } catch {
            await RecorderExclusion.shared.release()
            throw error
        }
        await RecorderExclusion.shared.release()
    }
}

extension Trait where Self == ExclusiveRecorderTrait {
    /// The suite's test cases each hold the process's recorder exclusively while they run.
    public static var exclusiveRecorder: ExclusiveRecorderTrait { ExclusiveRecorderTrait() }
}
