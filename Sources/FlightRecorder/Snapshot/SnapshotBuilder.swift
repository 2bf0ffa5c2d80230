// Writing a snapshot from a cut of the ring: header, strings, window state, events frames.
//
// Invariants:
// - Every chunk of the cut is written as it was when the cut was taken: bytes `[0, used)`,
//   which their writers never change again; chunks are compressed straight from recorder
//   memory (no intermediate copy of the ring).
// - Frames follow TraceFormat's order: strings (the whole process table, so every id any
//   chunk uses resolves, plus the function names of captured stacks under ids after it),
//   stacks (every captured stack, symbolized with dladdr, the images' ELF symbol tables and the Swift demangler), window
//   state (when not empty), events sorted by chunk base time, end.
// - The window is [oldest retained chunk's base time, time of the cut].

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder
import TraceFormat

/// What a written snapshot holds.
public struct SnapshotSummary: Sendable, Equatable {
    public var bytes: Int
    public var events: Int
    public var chunks: Int
    /// Covered time, in nanoseconds.
    public var windowNs: Int64
    /// Stacks written (task origins and annotation stacks), and the time spent naming their
    /// frames, in nanoseconds.
    public var stacks: Int = 0
    public var symbolizeNs: Int64 = 0
}

enum SnapshotBuilder {
    static let producer = "tracexport-recorder 0.1"

    static func write(cut: RecorderCore.Cut, windowState: WindowState, trigger: SnapshotTrigger,
                      compressionLevel: Int32 = 1,
                      sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> SnapshotSummary {
        let now = ClockPair.now()
        var header = SnapshotHeader()
        header.ticksPerSecond = cut.clock.ticksPerSecond(at: now)
        header.anchorTicks = now.ticks
        header.anchorMonotonicNs = now.monotonicNs
        header.anchorWallClockNs = now.wallClockNs
        header.pid = UInt64(getpid())
        header.executable = ProcessFacts.executablePath
        header.hostname = ProcessFacts.hostname
        header.minAgeNs = cut.configuration.minAgeNanoseconds
        header.maxBytes = UInt64(max(0, cut.configuration.maxBytes))
        header.chunkBytes = UInt64(cut.configuration.effectiveChunkBytes)
        header.trigger = trigger.reason
        header.triggerFields = trigger.fields.map { SnapshotField($0.key, $0.value) }
        let chunks = cut.chunks.sorted { ($0.baseTicks, $0.chunk.pointee.thread) < ($1.baseTicks, $1.chunk.pointee.thread) }
        header.windowEndTicks = cut.cutTicks
        header.windowStartTicks = min(chunks.first?.baseTicks ?? cut.cutTicks, cut.cutTicks)
        header.producer = producer

        let writer = try SnapshotWriter(header: header, compressionLevel: compressionLevel, sink: sink)
        let strings = StringTable.shared.all()
        var entries = strings.enumerated().map { (id: UInt64($0.offset + 1), string: $0.element) }
        let capturedStacks = StackTable.shared.all()
        let symbolizing = ContinuousClock.now
        let stacks = Stacks.symbolize(capturedStacks, firstStringID: UInt64(strings.count + 1), strings: &entries)
        let symbolized = ContinuousClock.now - symbolizing
        if !entries.isEmpty {
            try writer.writeFrame(.strings, payload: StringsFrame.encode(entries))
        }
        if !stacks.isEmpty {
            try writer.writeFrame(.stacks, payload: StacksFrame.encode(stacks))
        }
        if !windowState.isEmpty {
            try writer.writeFrame(.windowState, payload: windowState.encoded())
        }
        var events = 0
        for c in chunks {
            try writer.writeFrame(.events, payload: UnsafeRawBufferPointer(start: fr_chunk_data(c.chunk), count: c.used))
            events += c.events
        }
        try writer.finish(eventCount: events)
        let windowNs = Double(header.windowEndTicks &- header.windowStartTicks) * 1e9 / header.ticksPerSecond
        return SnapshotSummary(bytes: writer.bytesWritten, events: events, chunks: chunks.count,
                               windowNs: Int64(windowNs.rounded()), stacks: stacks.count,
                               symbolizeNs: symbolized.components.seconds * 1_000_000_000
                                   + symbolized.components.attoseconds / 1_000_000_000)
    }
}

/// Process facts for the snapshot header.
enum ProcessFacts {
    static let executablePath: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        #if os(Linux)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        #endif
        return CommandLine.arguments.first ?? ""
    }()

    static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
