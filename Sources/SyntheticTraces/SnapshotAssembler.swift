// Assembling a snapshot from simulated events: per-thread chunks, interned strings, window
// state, written through TraceFormat's real encoder and writer.
//
// Invariants:
// - Events are recorded in global time order (the simulation guarantees it), so each thread's
//   chunk is in time order, as the recorder's are.
// - A chunk is sealed when it passes `chunkBytes`, like the recorder's ring; frames are written
//   sorted by base time.
// - Output is a pure function of the calls made: no clock, no randomness, no environment.

import TraceFormat

public final class SnapshotAssembler {
    private(set) var strings: [(id: UInt64, string: String)] = []
    private var stringIDs: [String: UInt64] = [:]
    /// Open chunk per thread: an index into `openChunks` (a dictionary value would be copied
    /// on every append).
    private var openIndex: [UInt64: Int] = [:]
    private var openChunks: [EventChunkBuilder] = []
    private var sequences: [UInt64: UInt64] = [:]
    private var sealed: [EventChunkBuilder] = []
    private let chunkBytes: Int
    public private(set) var eventCount = 0
    package var window = WindowState()
    /// Stacks the events refer to by id (written in a stacks frame when not empty).
    package var stacks: [(id: UInt64, frames: [SnapshotStackFrame])] = []
    public var header = SnapshotHeader()

    public init(chunkBytes: Int) {
        self.chunkBytes = chunkBytes
    }

    public func id(_ s: String) -> UInt64 {
        if let id = stringIDs[s] { return id }
        let id = UInt64(strings.count + 1)
        strings.append((id, s))
        stringIDs[s] = id
        return id
    }

    /// Appends one record to `thread`'s open chunk, sealing it first when it is full.
    public func record(thread: UInt64, at t: UInt64, _ body: (inout EventChunkBuilder) -> Void) {
        let i: Int
        if let existing = openIndex[thread] {
            i = existing
        } else {
            i = openChunks.count
            openIndex[thread] = i
            openChunks.append(EventChunkBuilder(thread: thread, sequence: nextSequence(thread), baseTicks: t))
        }
        if openChunks[i].count >= chunkBytes {
            sealed.append(openChunks[i])
            openChunks[i] = EventChunkBuilder(thread: thread, sequence: nextSequence(thread), baseTicks: t)
        }
        body(&openChunks[i])
        eventCount += 1
    }

    private func nextSequence(_ thread: UInt64) -> UInt64 {
        let seq = sequences[thread, default: 0]
        sequences[thread] = seq + 1
        return seq
    }

    /// Seals every open chunk and hands out all sealed chunks sorted by base time.
    func drainChunks() -> [EventChunkBuilder] {
        sealed.append(contentsOf: openChunks)
        openChunks.removeAll()
        openIndex.removeAll()
        let out = sealed.sorted { ($0.header.baseTicks, $0.header.thread) < ($1.header.baseTicks, $1.header.thread) }
        sealed.removeAll()
        return out
    }

    /// The whole snapshot, in memory.
    public func snapshotBytes() throws -> [UInt8] {
        let sink = ByteSink()
        let writer = try SnapshotWriter(header: header, sink: { sink.append($0) })
        try writer.writeFrame(.strings, payload: StringsFrame.encode(strings))
        if !stacks.isEmpty { try writer.writeFrame(.stacks, payload: StacksFrame.encode(stacks)) }
        if !window.isEmpty { try writer.writeFrame(.windowState, payload: window.encoded()) }
        for chunk in drainChunks() { try writer.writeFrame(.events, payload: chunk.bytes) }
        try writer.finish(eventCount: eventCount)
        return sink.bytes
    }
}

/// SplitMix64: a tiny, well-mixed, seedable generator so fixtures (and the tests' random
/// inputs) are identical on every run.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in `range`.
    public mutating func next(in range: ClosedRange<UInt64>) -> UInt64 {
        range.lowerBound + next() % (range.upperBound - range.lowerBound + 1)
    }
}
