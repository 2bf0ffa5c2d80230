// The events frames of a snapshot, read, inflated, decoded and merged into one time-ordered
// stream of raw records, handed out in batches: the half of reading a snapshot that needs no
// interned strings, so that it can run ahead on a thread of its own (ReadAhead).
//
// Invariants:
// - Records come out in the order ChunkHeap merges them, with nanosecond times that never
//   decrease (a record earlier than the one before it takes that one's time).
// - Every batch holds the payloads its records' inline strings and log messages point into.
// - Damage never loses what came before it: a frame that cannot be read ends the frames, an
//   undecodable record ends its chunk, and the merge goes on with what is open; the last
//   batch carries the frame reader's damage. A read error that is not damage (the input
//   cannot be read) ends the stream in the batch after the last good record.
// - Memory: the open chunks (about one per recording thread) plus one batch.

import TraceFormat
import TraceModel

/// One record of the merged stream: a decoded event packed into one 64-byte cache line, since
/// every record is written on the read-ahead thread and read on the mapping thread.
struct MergedRecord {
    /// A slot not yet written.
    static let unused = MergedRecord()

    var ns: Int64 = 0
    /// The recording thread of the record's chunk.
    var thread: UInt64 = 0
    var task: UInt64 = 0
    /// `DecodedEvent.other`; for regionBegin, blockingRegionBegin and taskOrigin the model's
    /// stack (`StackID.raw`) for the snapshot's stack id (RecordMerger.stacks).
    var other: UInt64 = 0
    /// `DecodedEvent.name` and `group` (`PackedString`); an interned one is the model's string
    /// (`StringID.raw`) for the snapshot's id (RecordMerger.strings).
    var name: UInt64 = 0
    var group: UInt64 = 0
    /// The one field of the kind beyond those: `scope` (taskOrigin), `intValue` (counterInt),
    /// the bits of `floatValue` (counterFloat), or `message` (log, spans) as lower and upper
    /// bound in the low and high 32 bits.
    var value: UInt64 = 0
    var kind = EventKind.taskEnded
    var nameTag = PackedString.none
    var groupTag = PackedString.none
    /// Index of the record's payload in its batch's `payloads`.
    var payload: Int32 = 0

    /// The record of `e` (the place fields are set by the caller).
    @inline(__always)
    mutating func pack(_ e: DecodedEvent) {
        kind = e.kind
        task = e.task
        other = e.other
        (nameTag, name) = PackedString.pack(e.name)
        (groupTag, group) = PackedString.pack(e.group)
        switch e.kind {
        case .taskOrigin: value = e.scope
        case .counterInt: value = UInt64(bitPattern: e.intValue)
        case .counterFloat: value = e.floatValue.bitPattern
        case .log, .spanStart, .spanEnd: value = UInt64(UInt32(e.message.lowerBound)) | UInt64(UInt32(e.message.upperBound)) << 32
        default: value = 0
        }
    }

    var scope: UInt64 { value }
    var intValue: Int64 { Int64(bitPattern: value) }
    var floatValue: Double { Double(bitPattern: value) }
    /// The message or span fields: a range of the record's payload.
    var message: Range<Int> { Int(UInt32(truncatingIfNeeded: value))..<Int(value >> 32) }
}

/// How a `DecodedString` is packed into a tag and a word: an interned id, or an inline range
/// of the payload (lower bound in the low 32 bits; payloads are far smaller than 4 GiB).
enum PackedString: UInt8 {
    case none
    case interned
    case inline

    @inline(__always)
    static func pack(_ s: DecodedString) -> (PackedString, UInt64) {
        switch s {
        case .none: return (.none, 0)
        case .interned(let id): return (.interned, id)
        case .inline(let r): return (.inline, UInt64(UInt32(r.lowerBound)) | UInt64(UInt32(r.upperBound)) << 32)
        }
    }

    static func range(_ word: UInt64) -> Range<Int> { Int(UInt32(truncatingIfNeeded: word))..<Int(word >> 32) }
}

/// How the merged stream ended.
struct MergeEnd: Sendable {
    /// Damage found in the frames or inside a chunk; the first one wins.
    var damage: FrameDamage?
    /// Events the end frame declares, when it was read.
    var declaredEvents: Int?
    var storedBytes: Int64
    var rawBytes: Int64
    /// Records handed out, by record kind byte.
    var recordCounts: [Int]
}

struct RecordBatch: Sendable {
    /// The batch's records are `records[0..<count]`; slots after them are storage left from an
    /// earlier use, overwritten in place rather than appended to.
    var records: [MergedRecord] = []
    var count = 0
    var payloads: [[UInt8]] = []
    /// Observations about frames met while filling this batch.
    var warnings: [String] = []
    /// Set on the last batch of a clean or damaged stream.
    var end: MergeEnd?
    /// Set on the last batch when the input could not be read on (after `records`).
    var failure: TraceDamage?
}

extension MergedRecord: Sendable {}

struct RecordMerger: BatchProducer {
    let batchSize: Int
    let frames: FrameReader
    private let header: SnapshotHeader
    private let fileName: String
    private var heap = ChunkHeap()
    /// The next events frame, opened ahead so its base time bounds what may be handed out.
    private var ahead: OpenChunk?
    private var chunksOpened = 0
    private(set) var framesDone = false
    private var ended = false
    /// The time of the last record handed out; no record is given an earlier one.
    var lastNs: Int64 = 0
    /// Per heap slot, the index of its chunk's payload in the batch being filled, tagged with
    /// the batch and the chunk (a slot is reused by later chunks) it is valid for.
    private var payloadIndex: [(batch: Int, chunk: Int, index: Int32)] = []
    private var batchNumber = 0
    private var recordCounts = [Int](repeating: 0, count: 256)
    /// The model's stacks by snapshot stack id, and its strings by snapshot string id: complete
    /// once the preamble was read (strings and stacks frames come before events frames, later
    /// ones are ignored), so they are resolved here, off the mapping thread.
    var stacks: [UInt64: StackID] = [:]
    var strings: [StringID] = []

    init(frames: FrameReader, name: String, batchSize: Int) {
        precondition(batchSize > 0)
        self.batchSize = batchSize
        self.frames = frames
        self.header = frames.header
        self.fileName = name
    }

    /// The base time of the first events frame, once the preamble opened it.
    var firstTicks: UInt64? { ahead?.head.ticks }

    /// The preamble saw the end frame (or the end of the frames).
    mutating func markFramesDone() { framesDone = true }

    /// Opens an events frame: its first record becomes its chunk's head.
    mutating func open(_ frame: Frame) {
        do {
            var decoder = try EventDecoder(payload: frame.payload)
            if let head = try decoder.next() {
                let chunk = OpenChunk(decoder: decoder, head: head, order: chunksOpened, fileOffset: frame.offset)
                chunksOpened += 1
                if let previous = ahead { heap.push(previous) }
                ahead = chunk
            }
        } catch let e as FormatError {
            frames.markDamaged(offset: frame.offset, message: "events frame: payload offset \(e.offset): \(e.message)")
        } catch {
            frames.markDamaged(offset: frame.offset, message: "\(error)")
        }
    }

    func nextFrame() throws -> Frame? {
        do {
            return try frames.next()
        } catch let e as IOError {
            throw TraceDamage(file: fileName, offset: frames.offset, message: e.description)
        }
    }

    /// Opens frames until the earliest open event is earlier than the next chunk's base.
    private mutating func fill(_ batch: inout RecordBatch) throws {
        while !framesDone {
            if let a = ahead, let m = heap.minTicks, m < a.decoder.header.baseTicks { return }
            if let a = ahead {
                heap.push(a)
                ahead = nil
            }
            guard let frame = try nextFrame() else {
                framesDone = true
                break
            }
            switch frame.knownKind {
            case .events: open(frame)
            case .end: framesDone = true
            case .strings, .stacks, .windowState:
                batch.warnings.append("\(fileName): offset \(frame.offset): \(frame.knownKind!) frame after events ignored")
            case nil:
                batch.warnings.append("\(fileName): offset \(frame.offset): skipped frame of unknown kind \(frame.kind)")
            }
        }
        if let a = ahead {
            heap.push(a)
            ahead = nil
        }
    }

    mutating func nextBatch(reusing spent: consuming RecordBatch?) -> RecordBatch? {
        guard !ended else { return nil }
        batchNumber += 1
        var batch = RecordBatch()
        var recycled = spent
        // Taken out whole, so the records' storage is uniquely held and is written in place.
        var records = recycled.take()?.records ?? []
        if records.count < batchSize {
            records.reserveCapacity(batchSize)
            records.append(contentsOf: repeatElement(MergedRecord.unused, count: batchSize - records.count))
        }
        // The counts are moved out for the loop, so that it reaches them without an access to
        // `self` per record.
        var counts = recordCounts
        recordCounts = []
        records.withUnsafeMutableBufferPointer { slots in
            counts.withUnsafeMutableBufferPointer { counts in fill(&batch, slots: slots, counts: counts) }
        }
        recordCounts = counts
        if batch.end != nil { batch.end!.recordCounts = counts }
        batch.records = records
        return batch
    }

    /// Fills `batch` with up to `batchSize` records, written into `slots`.
    private mutating func fill(_ batch: inout RecordBatch, slots: UnsafeMutableBufferPointer<MergedRecord>,
                               counts: UnsafeMutableBufferPointer<Int>) {
        let base = slots.baseAddress!
        while batch.count < batchSize {
            do {
                try fill(&batch)
            } catch let damage as TraceDamage {
                batch.failure = damage
                ended = true
                return
            } catch {
                batch.failure = TraceDamage(file: fileName, offset: frames.offset, message: "\(error)")
                ended = true
                return
            }
            let n = batch.count
            let record = base + n
            // The chunk's head is packed straight into the batch's slot.
            guard let (thread, slot, failure) = heap.popEvent(into: &record.pointee) else {
                batch.end = MergeEnd(damage: frames.damage, declaredEvents: frames.declaredEvents,
                                     storedBytes: frames.storedBytes, rawBytes: frames.rawBytes,
                                     recordCounts: [])
                ended = true
                return
            }
            if let failure { frames.markDamaged(offset: failure.offset, message: failure.message) }
            let kind = record.pointee.kind
            counts[Int(kind.rawValue)] += 1
            if record.pointee.nameTag == .interned { record.pointee.name = modelString(record.pointee.name) }
            if record.pointee.groupTag == .interned { record.pointee.group = modelString(record.pointee.group) }
            if kind == .regionBegin || kind == .blockingRegionBegin || kind == .taskOrigin {
                record.pointee.other = stacks.isEmpty ? 0 : UInt64(stacks[record.pointee.other]?.raw ?? 0)
            }
            let ns = max(header.nanosecondsRounded(ticks: thread.ticks), lastNs)
            lastNs = ns
            let payload = payload(slot: slot, into: &batch)
            record.pointee.ns = ns
            record.pointee.thread = thread.id
            record.pointee.payload = payload
            batch.count = n + 1
        }
    }

    /// The model's string (raw) for a snapshot string id; the empty string for an unknown id.
    @inline(__always)
    private func modelString(_ id: UInt64) -> UInt64 {
        id < UInt64(strings.count) ? UInt64(strings[Int(id)].raw) : 0
    }

    /// The index in `batch` of the payload of the chunk in `slot`, added on first use.
    @inline(__always)
    private mutating func payload(slot: Int, into batch: inout RecordBatch) -> Int32 {
        if slot >= payloadIndex.count {
            payloadIndex.append(contentsOf: repeatElement((batch: 0, chunk: -1, index: Int32(0)), count: slot + 1 - payloadIndex.count))
        }
        let chunk = heap.order(slot: slot)
        if payloadIndex[slot].batch == batchNumber && payloadIndex[slot].chunk == chunk { return payloadIndex[slot].index }
        let index = Int32(batch.payloads.count)
        batch.payloads.append(heap.payload(slot: slot))
        payloadIndex[slot] = (batchNumber, chunk, index)
        return index
    }
}
