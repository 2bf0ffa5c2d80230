// What a recorder keeps and how it records.
//
// Invariants:
// - `maxBytes` is a hard cap on the sealed ring and wins over `minAge`: history is dropped in
//   whole chunks, oldest first, as soon as keeping it would exceed the cap.
// - Memory in use is at most `maxBytes` + one active chunk per recording thread (the per-thread
//   slack, `chunkBytes` + 64 bytes of chunk header + a 2.1 KiB thread record each) + a pool of at most
//   `RecorderCore.poolLimit` free chunks + chunks evicted but not yet folded (at most
//   `RecorderCore.foldBacklog`, plus one per thread sealing at that moment, plus one being folded). While a snapshot is written, chunks it copies that the
//   ring has meanwhile evicted are kept until it finishes (at most the snapshot's own size).
//   After `stop()`, a thread that recorded keeps its last chunk until it records again or exits
//   (it may be writing into it at that moment, so it is not taken away).

public struct FlightRecorderConfiguration: Sendable, Equatable {
    /// Keep at least this much history when `maxBytes` allows (0: keep whatever fits).
    public var minAge: Duration
    /// Hard cap on retained event bytes (sealed chunks, counted by their allocation size).
    public var maxBytes: Int
    /// Size of one per-thread chunk; clamped to 4 KiB ... 16 MiB.
    public var chunkBytes: Int
    /// Whether region begins capture a call stack (costs a frame-pointer walk per region).
    public var captureStacks: Bool
    /// Whether executors stamp each job with the CPU time its thread spent (jobCPUTime).
    public var threadCPUTime: Bool
    /// Whether a task created while recording keeps where it was created (a short frame-pointer
    /// walk per task), so unnamed tasks group by their creating function (Linux).
    public var taskOrigins: Bool

    public init(minAge: Duration = .seconds(5), maxBytes: Int = 16 << 20, chunkBytes: Int = 64 << 10,
                captureStacks: Bool = false, threadCPUTime: Bool = false, taskOrigins: Bool = true) {
        self.minAge = minAge
        self.maxBytes = maxBytes
        self.chunkBytes = chunkBytes
        self.captureStacks = captureStacks
        self.threadCPUTime = threadCPUTime
        self.taskOrigins = taskOrigins
    }

    /// Chunk size actually used.
    var effectiveChunkBytes: Int { min(max(chunkBytes, 4 << 10), 16 << 20) }

    var minAgeNanoseconds: UInt64 {
        let (s, attos) = minAge.components
        guard s >= 0 else { return 0 }
        return UInt64(s) &* 1_000_000_000 &+ UInt64(max(0, attos) / 1_000_000_000)
    }
}
