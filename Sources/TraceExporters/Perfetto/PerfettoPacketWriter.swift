// Writes Perfetto TracePackets (a `Trace` message's repeated field 1): track descriptors and
// track events on one packet sequence, with names, categories, annotation names and stacks
// interned, and the trace's attributes last.
//
// Invariants:
// - One sequence (`sequenceID`). Its first packet carries SEQ_INCREMENTAL_STATE_CLEARED, sets
//   the sequence's defaults and interns the fixed names (`FixedName`), categories and
//   annotation names. Later packets leave `sequence_flags` out: the flag that marks a packet as
//   needing incremental state only tells readers what to skip after lost packets, and a file
//   written here loses none (two bytes per packet saved, on packets of a dozen bytes).
// - A name is interned once, in the packet of the first event that uses it (`pendingNames` are
//   written into that packet's `interned_data`); later events refer to its iid. Iids are given
//   in first-use order, so the output is deterministic for a given input. Stacks likewise:
//   a callstack, its frames, their function names and source paths are interned (each table
//   with iids of its own) in the packet of the first slice that carries the stack.
// - Timestamps are deltas: the first packet defines a sequence-scoped incremental clock
//   (`deltaClockID`, 1 ns units, reading 0 at BOOTTIME 0) and makes it the sequence's default,
//   so each packet's `timestamp` is the nanoseconds since the previous packet's, and the
//   times they add up to are nanoseconds since the window start (`startNs`). Callers write
//   packets in non-decreasing time order (the exporter flushes its tracks as time moves); a
//   time earlier than the last one written is written as that time (a delta of 0).
// - Track uuids are small integers handed out in order (`newTrackUUID`); a track is described
//   (TrackDescriptor) before its first event.
// - Per event, nothing is allocated: names and stacks already interned are an array lookup,
//   and fields are written straight into the ProtobufWriter.
// - `drain` hands over whole packets only, bare or (with a compressor) deflated into one
//   `compressed_packets` container per run: sequence state carries on across containers.

import TraceModel

/// Field numbers of Perfetto's trace protos (protos/perfetto/trace/...), for what is written here.
enum PerfettoField {
    static let tracePacket: UInt32 = 1  // Trace.packet

    // TracePacket
    static let clockSnapshot: UInt32 = 6
    static let timestamp: UInt32 = 8
    static let trustedPacketSequenceID: UInt32 = 10
    static let trackEvent: UInt32 = 11
    static let internedData: UInt32 = 12
    static let sequenceFlags: UInt32 = 13
    static let tracePacketDefaults: UInt32 = 59
    static let trackDescriptor: UInt32 = 60
    static let traceAttributes: UInt32 = 126

    // TraceAttributes, TraceAttributes.Attribute
    static let attribute: UInt32 = 1
    static let attributeKey: UInt32 = 1
    static let attributeLongValue: UInt32 = 2
    static let attributeStringValue: UInt32 = 3

    // TracePacketDefaults
    static let timestampClockID: UInt32 = 58

    // ClockSnapshot, ClockSnapshot.Clock
    static let clocks: UInt32 = 1
    static let clockID: UInt32 = 1
    static let clockTimestamp: UInt32 = 2
    static let clockIsIncremental: UInt32 = 3

    // TrackDescriptor
    static let uuid: UInt32 = 1
    static let trackName: UInt32 = 2
    static let parentUUID: UInt32 = 5
    static let counter: UInt32 = 8
    static let childOrdering: UInt32 = 11
    static let siblingOrderRank: UInt32 = 12

    // TrackEvent
    static let categoryIIDs: UInt32 = 3
    static let debugAnnotations: UInt32 = 4
    static let type: UInt32 = 9
    static let nameIID: UInt32 = 10
    static let trackUUID: UInt32 = 11
    static let counterValue: UInt32 = 30
    static let doubleCounterValue: UInt32 = 44
    static let flowIDs: UInt32 = 47
    static let terminatingFlowIDs: UInt32 = 48
    static let callstackIID: UInt32 = 56

    // DebugAnnotation
    static let annotationNameIID: UInt32 = 1
    static let annotationUIntValue: UInt32 = 3
    static let annotationStringValue: UInt32 = 6

    // InternedData and its entries (EventCategory, EventName, DebugAnnotationName: iid 1, name 2)
    static let eventCategories: UInt32 = 1
    static let eventNames: UInt32 = 2
    static let debugAnnotationNames: UInt32 = 3
    static let internedIID: UInt32 = 1
    static let internedName: UInt32 = 2

    // InternedData's stack tables: InternedString (iid 1, str 2), Frame, Callstack
    static let functionNames: UInt32 = 5
    static let frames: UInt32 = 6
    static let callstacks: UInt32 = 7
    static let sourcePaths: UInt32 = 18
    static let internedString: UInt32 = 2
    static let frameFunctionNameID: UInt32 = 2
    static let frameSourcePathIID: UInt32 = 5
    static let frameLineNumber: UInt32 = 6
    static let callstackFrameIDs: UInt32 = 2
}

/// Iids of one InternedData string table (function names, source paths) per StringID, given
/// from 1 in first-use order.
struct StringIIDTable {
    private var iids: [UInt32] = []
    private var count: UInt64 = 0

    /// The string's iid, and whether it was given just now (its entry is still to be written).
    mutating func iid(_ id: StringID) -> (iid: UInt64, isNew: Bool) {
        let i = Int(id.raw)
        if i < iids.count, iids[i] != 0 { return (UInt64(iids[i]), false) }
        if i >= iids.count { iids.append(contentsOf: repeatElement(0, count: i + 1 - iids.count)) }
        count += 1
        iids[i] = UInt32(truncatingIfNeeded: count)
        return (count, true)
    }
}

enum TraceAttributeValue: Equatable {
    case int(Int64)
    case string(String)
}

enum PerfettoEventType: UInt64 {
    case sliceBegin = 1
    case sliceEnd = 2
    case instant = 3
    case counter = 4
}

struct PerfettoPacketWriter {
    static let sequenceID: UInt64 = 1
    static let incrementalStateCleared: UInt64 = 1
    /// TrackDescriptor.ChildTracksOrdering.EXPLICIT: children sorted by sibling_order_rank.
    static let explicitOrdering: UInt64 = 3
    /// The first sequence-scoped clock id (64...127 are the sequence's own clocks).
    static let deltaClockID: UInt64 = 64
    static let bootTimeClockID: UInt64 = 6

    /// Names interned by the first packet, with fixed iids.
    enum FixedName: UInt64, CaseIterable {
        case running = 1, runnable, syscall, ended, task, log, wake, blocked, trigger, counter
        var text: StaticString {
            switch self {
            case .running: "running"
            case .runnable: "runnable"
            case .syscall: "syscall"
            case .ended: "ended"
            case .task: "task"
            case .log: "log"
            case .wake: "wake"
            case .blocked: "blocked"
            case .trigger: "trigger"
            case .counter: "counter"
            }
        }
    }

    enum Category: UInt64, CaseIterable {
        case request = 1, wake
        var text: StaticString {
            switch self {
            case .request: "request"
            case .wake: "wake"
            }
        }
    }

    enum AnnotationName: UInt64, CaseIterable {
        case task = 1, message
        var text: StaticString {
            switch self {
            case .task: "task"
            case .message: "message"
            }
        }
    }

    let startNs: Int64
    var out = ProtobufWriter()
    /// Deflates each drained run of packets into a `compressed_packets` container (nil: the
    /// packets are written as they are).
    private let compressor: PerfettoPacketCompressor?
    private var nextNameIID = UInt64(FixedName.allCases.count + 1)
    /// Event-name iid per StringID raw value (0: not interned yet).
    private var stringIIDs: [UInt32] = []
    /// Iid of "blocked: <reason>" per reason StringID raw value (0: not interned yet).
    private var blockedIIDs: [UInt32] = []
    /// Iid of "task <id>" per task id, for holds of unnamed tasks.
    private var unnamedTaskIIDs = IDMap<Int32>()
    /// Names to intern in the next packet written.
    private var pendingNames: [(iid: UInt64, name: String)] = []
    /// Stack tables' entries (InternedData fields, encoded) to intern in the next packet.
    private var pendingStackEntries = ProtobufWriter(capacity: 256)
    /// Callstack iid per StackID raw value (0: not interned yet).
    private var callstackIIDs: [UInt32] = []
    /// Frame iid per distinct frame; function-name and source-path iid per StringID raw value.
    private var frameIIDs: [StackFrame: UInt64] = [:]
    private var functionNames = StringIIDTable()
    private var sourcePaths = StringIIDTable()
    /// How many callstacks are interned (the last iid given).
    private var callstackCount: UInt64 = 0
    private var nextTrackUUID: UInt64 = 1
    /// Sibling ranks of the tracks described so far.
    private var ranks = PerfettoTrackRanks()
    /// The time of the last packet written, in ns since `startNs`.
    private var lastTimeNs: Int64 = 0

    init(startNs: Int64, compressor: PerfettoPacketCompressor? = nil) {
        self.startNs = startNs
        self.compressor = compressor
    }

    /// Moves the packets written so far into `output` (none may be open), compressed when the
    /// writer has a compressor.
    mutating func drain(into output: inout OutputBuffer) throws {
        guard out.count > 0 else { return }
        if let compressor {
            out.withBytes { compressor.write($0, into: &output) }
            out.removeAll()
        } else {
            out.drain(into: &output)
        }
        try output.flushIfNeeded()
    }

    /// Drains, then writes every compressed run still being deflated: the last call on the
    /// output.
    mutating func complete(into output: inout OutputBuffer) throws {
        try drain(into: &output)
        compressor?.complete(into: &output)
        try output.flushIfNeeded()
    }

    mutating func newTrackUUID() -> UInt64 {
        defer { nextTrackUUID += 1 }
        return nextTrackUUID
    }

    // MARK: Interning

    /// The event-name iid of an interned string (region, task, category or counter name).
    @inline(__always)
    mutating func nameIID(_ name: StringID, tables: TraceTables) -> UInt64 {
        let i = Int(name.raw)
        if i < stringIIDs.count, stringIIDs[i] != 0 { return UInt64(stringIIDs[i]) }
        if i >= stringIIDs.count { stringIIDs.append(contentsOf: repeatElement(0, count: i + 1 - stringIIDs.count)) }
        let iid = intern(tables.string(name))
        stringIIDs[i] = UInt32(truncatingIfNeeded: iid)
        return iid
    }

    /// "blocked: <reason>" (or "blocked" without a reason).
    @inline(__always)
    mutating func blockedIID(_ reason: StringID, tables: TraceTables) -> UInt64 {
        if reason.isEmpty { return FixedName.blocked.rawValue }
        let i = Int(reason.raw)
        if i < blockedIIDs.count, blockedIIDs[i] != 0 { return UInt64(blockedIIDs[i]) }
        if i >= blockedIIDs.count { blockedIIDs.append(contentsOf: repeatElement(0, count: i + 1 - blockedIIDs.count)) }
        let iid = intern("blocked: " + tables.string(reason))
        blockedIIDs[i] = UInt32(truncatingIfNeeded: iid)
        return iid
    }

    /// A task's name, or "task <id>" when it has none (as its track is named).
    mutating func taskNameIID(_ task: TaskID, name: StringID, tables: TraceTables) -> UInt64 {
        if !name.isEmpty, !tables.string(name).isEmpty { return nameIID(name, tables: tables) }
        if let iid = unnamedTaskIIDs[task.raw] { return UInt64(iid) }
        let iid = intern("task \(task)")
        unnamedTaskIIDs.insert(task.raw, Int32(truncatingIfNeeded: iid))
        return iid
    }

    /// A name built once (the request slice's, the trigger's).
    mutating func intern(_ text: String) -> UInt64 {
        let iid = nextNameIID
        nextNameIID += 1
        pendingNames.append((iid, text))
        return iid
    }

    // MARK: Packets

    /// The sequence's first packet: clears incremental state, sets up the delta clock, and
    /// interns the fixed names.
    mutating func writeFirstPacket() {
        let packet = out.beginMessage(PerfettoField.tracePacket)
        out.uint64(PerfettoField.trustedPacketSequenceID, Self.sequenceID)
        out.uint64(PerfettoField.sequenceFlags, Self.incrementalStateCleared)
        let defaults = out.beginMessage(PerfettoField.tracePacketDefaults)
        out.uint64(PerfettoField.timestampClockID, Self.deltaClockID)
        out.endMessage(defaults)
        let snapshot = out.beginMessage(PerfettoField.clockSnapshot)
        let delta = out.beginMessage(PerfettoField.clocks)
        out.uint64(PerfettoField.clockID, Self.deltaClockID)
        out.uint64(PerfettoField.clockTimestamp, 0)
        out.bool(PerfettoField.clockIsIncremental, true)
        out.endMessage(delta)
        let boot = out.beginMessage(PerfettoField.clocks)
        out.uint64(PerfettoField.clockID, Self.bootTimeClockID)
        out.uint64(PerfettoField.clockTimestamp, 0)
        out.endMessage(boot)
        out.endMessage(snapshot)
        let interned = out.beginMessage(PerfettoField.internedData)
        for category in Category.allCases {
            writeInternedEntry(PerfettoField.eventCategories, category.rawValue, category.text)
        }
        for name in FixedName.allCases {
            writeInternedEntry(PerfettoField.eventNames, name.rawValue, name.text)
        }
        for name in AnnotationName.allCases {
            writeInternedEntry(PerfettoField.debugAnnotationNames, name.rawValue, name.text)
        }
        out.endMessage(interned)
        out.endMessage(packet)
    }

    /// The trace's metadata (chrome's `otherData`) as TraceAttributes: trace processors list
    /// them in their metadata table as `trace_attribute.<key>`.
    mutating func writeAttributes(_ attributes: [(key: String, value: TraceAttributeValue)]) {
        guard !attributes.isEmpty else { return }
        let packet = out.beginMessage(PerfettoField.tracePacket)
        out.uint64(PerfettoField.trustedPacketSequenceID, Self.sequenceID)
        let list = out.beginMessage(PerfettoField.traceAttributes)
        for (key, value) in attributes {
            let attribute = out.beginMessage(PerfettoField.attribute)
            out.string(PerfettoField.attributeKey, key)
            switch value {
            case .int(let v): out.int64(PerfettoField.attributeLongValue, v)
            case .string(let v): out.string(PerfettoField.attributeStringValue, v)
            }
            out.endMessage(attribute)
        }
        out.endMessage(list)
        out.endMessage(packet)
    }

    private mutating func writeInternedEntry(_ field: UInt32, _ iid: UInt64, _ text: StaticString) {
        let entry = out.beginMessage(field)
        out.uint64(PerfettoField.internedIID, iid)
        out.string(PerfettoField.internedName, text)
        out.endMessage(entry)
    }

    /// A top-level track grouping others (Tasks, Threads, Counters, Actors).
    mutating func describeGroup(uuid: UInt64, name: StaticString, rank: Int64, at timeNs: Int64) {
        let packet = beginPacket(timeNs)
        let track = out.beginMessage(PerfettoField.trackDescriptor)
        out.uint64(PerfettoField.uuid, uuid)
        out.string(PerfettoField.trackName, name)
        out.uint64(PerfettoField.childOrdering, Self.explicitOrdering)
        out.int64(PerfettoField.siblingOrderRank, rank)
        out.endMessage(track)
        out.endMessage(packet)
    }

    /// A track under `parent`, named `name` (or `fallback <id>` when the name is empty), ranked
    /// among its siblings in the order of `rank`, any 64-bit value (PerfettoTrackRanks). Written
    /// again to rename a track.
    mutating func describeTrack(uuid: UInt64, parent: UInt64, name: String, fallback: StaticString, id: UInt64,
                                rank: UInt64, counter: Bool = false, at timeNs: Int64) {
        let packet = beginPacket(timeNs)
        let track = out.beginMessage(PerfettoField.trackDescriptor)
        out.uint64(PerfettoField.uuid, uuid)
        out.uint64(PerfettoField.parentUUID, parent)
        if name.isEmpty {
            let text = out.beginMessage(PerfettoField.trackName)
            out.rawBytes(UnsafeRawBufferPointer(start: fallback.utf8Start, count: fallback.utf8CodeUnitCount))
            out.rawByte(UInt8(ascii: " "))
            writeDecimal(id)
            out.endMessage(text)
        } else {
            out.string(PerfettoField.trackName, name)
        }
        if counter {
            let descriptor = out.beginMessage(PerfettoField.counter)
            out.endMessage(descriptor)
        }
        out.uint64(PerfettoField.siblingOrderRank, UInt64(ranks.rank(rank)))
        out.endMessage(track)
        out.endMessage(packet)
    }

    private mutating func writeDecimal(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: 20 digits fit
        let n = StagingBuffer.digitCount(value)
        withUnsafeMutableBytes(of: &digits) { raw in
            StagingBuffer.formatDigits(value, count: n, at: raw.baseAddress!)
            out.rawBytes(UnsafeRawBufferPointer(rebasing: raw[..<n]))
        }
    }

    @inline(__always)
    private mutating func beginPacket(_ timeNs: Int64) -> ProtobufWriter.Message {
        let packet = out.beginMessage(PerfettoField.tracePacket)
        let t = max(lastTimeNs, timeNs - startNs)
        out.uint64(PerfettoField.timestamp, UInt64(t - lastTimeNs))
        lastTimeNs = t
        out.uint64(PerfettoField.trustedPacketSequenceID, Self.sequenceID)
        if !pendingNames.isEmpty || pendingStackEntries.count > 0 { writePendingInterned() }
        return packet
    }

    private mutating func writePendingInterned() {
        let interned = out.beginMessage(PerfettoField.internedData)
        for entry in pendingNames {
            let message = out.beginMessage(PerfettoField.eventNames)
            out.uint64(PerfettoField.internedIID, entry.iid)
            out.string(PerfettoField.internedName, entry.name)
            out.endMessage(message)
        }
        pendingStackEntries.withBytes { out.rawBytes($0) }
        out.endMessage(interned)
        pendingNames.removeAll(keepingCapacity: true)
        pendingStackEntries.removeAll()
    }

    // MARK: Stacks

    /// The callstack iid of a stack (0 for an empty one), interning the stack, its frames and
    /// their function names and source paths the first time (each table has its own iids, from
    /// 1 in first-use order). Frames go outermost first, as Callstack.frame_ids wants them.
    mutating func callstackIID(_ stack: StackID, tables: TraceTables) -> UInt64 {
        let i = Int(stack.raw)
        if i < callstackIIDs.count, callstackIIDs[i] != 0 { return UInt64(callstackIIDs[i]) }
        let frames = tables.stack(stack)
        guard !frames.isEmpty else { return 0 }
        if i >= callstackIIDs.count { callstackIIDs.append(contentsOf: repeatElement(0, count: i + 1 - callstackIIDs.count)) }
        var frameIDs: [UInt64] = []
        frameIDs.reserveCapacity(frames.count)
        for frame in frames.reversed() { frameIDs.append(frameIID(frame, tables: tables)) }
        callstackCount += 1
        let iid = callstackCount
        callstackIIDs[i] = UInt32(truncatingIfNeeded: iid)
        let entry = pendingStackEntries.beginMessage(PerfettoField.callstacks)
        pendingStackEntries.uint64(PerfettoField.internedIID, iid)
        for id in frameIDs { pendingStackEntries.uint64(PerfettoField.callstackFrameIDs, id) }
        pendingStackEntries.endMessage(entry)
        return iid
    }

    private mutating func frameIID(_ frame: StackFrame, tables: TraceTables) -> UInt64 {
        if let iid = frameIIDs[frame] { return iid }
        let iid = UInt64(frameIIDs.count + 1)
        frameIIDs[frame] = iid
        let function = functionNames.iid(frame.function)
        if function.isNew { writeInternedString(PerfettoField.functionNames, function.iid, frame.function, fallback: "?", tables: tables) }
        var path: UInt64 = 0
        if !frame.file.isEmpty {
            let found = sourcePaths.iid(frame.file)
            if found.isNew { writeInternedString(PerfettoField.sourcePaths, found.iid, frame.file, fallback: "", tables: tables) }
            path = found.iid
        }
        let entry = pendingStackEntries.beginMessage(PerfettoField.frames)
        pendingStackEntries.uint64(PerfettoField.internedIID, iid)
        pendingStackEntries.uint64(PerfettoField.frameFunctionNameID, function.iid)
        if path != 0 { pendingStackEntries.uint64(PerfettoField.frameSourcePathIID, path) }
        if frame.line != 0 { pendingStackEntries.uint64(PerfettoField.frameLineNumber, UInt64(frame.line)) }
        pendingStackEntries.endMessage(entry)
        return iid
    }

    /// An InternedString entry of a function name or source path; an empty string is written
    /// as `fallback` (chrome names a frame without a function "?").
    private mutating func writeInternedString(_ field: UInt32, _ iid: UInt64, _ id: StringID, fallback: String,
                                              tables: TraceTables) {
        var text = tables.string(id)
        if text.isEmpty { text = fallback }
        let entry = pendingStackEntries.beginMessage(field)
        pendingStackEntries.uint64(PerfettoField.internedIID, iid)
        pendingStackEntries.string(PerfettoField.internedString, text)
        pendingStackEntries.endMessage(entry)
    }

    // MARK: Track events

    /// A slice begins. `task`: the task id shown as argument `task` (0: none); `callstack`: an
    /// interned stack (0: none); `terminating`: flow arrows that end on this slice.
    @inline(__always)
    mutating func sliceBegin(track: UInt64, at timeNs: Int64, name: UInt64, category: UInt64 = 0, task: UInt64 = 0,
                             callstack: UInt64 = 0, terminating: [UInt64] = []) {
        let packet = beginPacket(timeNs)
        let event = out.beginMessage(PerfettoField.trackEvent)
        out.uint64(PerfettoField.type, PerfettoEventType.sliceBegin.rawValue)
        out.uint64(PerfettoField.trackUUID, track)
        out.uint64(PerfettoField.nameIID, name)
        if category != 0 { out.uint64(PerfettoField.categoryIIDs, category) }
        if callstack != 0 { out.uint64(PerfettoField.callstackIID, callstack) }
        if task != 0 { writeTaskAnnotation(task) }
        for id in terminating { out.fixed64(PerfettoField.terminatingFlowIDs, id) }
        out.endMessage(event)
        out.endMessage(packet)
    }

    /// The innermost open slice of the track ends. `flow`: an arrow that starts from it (0:
    /// none); `terminating`: arrows that end on it.
    @inline(__always)
    mutating func sliceEnd(track: UInt64, at timeNs: Int64, flow: UInt64 = 0, terminating: [UInt64] = []) {
        let packet = beginPacket(timeNs)
        let event = out.beginMessage(PerfettoField.trackEvent)
        out.uint64(PerfettoField.type, PerfettoEventType.sliceEnd.rawValue)
        out.uint64(PerfettoField.trackUUID, track)
        if flow != 0 { out.fixed64(PerfettoField.flowIDs, flow) }
        for id in terminating { out.fixed64(PerfettoField.terminatingFlowIDs, id) }
        out.endMessage(event)
        out.endMessage(packet)
    }

    /// An instant: a log (its text as argument `message`), the trigger, or a wake-up marking
    /// where an arrow starts (`flow`) or ends (`terminating`).
    mutating func instant(track: UInt64, at timeNs: Int64, name: UInt64, category: UInt64 = 0, message: String = "",
                          flow: UInt64 = 0, terminating: [UInt64] = []) {
        let packet = beginPacket(timeNs)
        let event = out.beginMessage(PerfettoField.trackEvent)
        out.uint64(PerfettoField.type, PerfettoEventType.instant.rawValue)
        out.uint64(PerfettoField.trackUUID, track)
        out.uint64(PerfettoField.nameIID, name)
        if category != 0 { out.uint64(PerfettoField.categoryIIDs, category) }
        if !message.isEmpty {
            let annotation = out.beginMessage(PerfettoField.debugAnnotations)
            out.uint64(PerfettoField.annotationNameIID, AnnotationName.message.rawValue)
            out.string(PerfettoField.annotationStringValue, message)
            out.endMessage(annotation)
        }
        if flow != 0 { out.fixed64(PerfettoField.flowIDs, flow) }
        for id in terminating { out.fixed64(PerfettoField.terminatingFlowIDs, id) }
        out.endMessage(event)
        out.endMessage(packet)
    }

    /// A counter's value: an integer when it is one (shorter), else a double.
    @inline(__always)
    mutating func counter(track: UInt64, at timeNs: Int64, value: Double) {
        let packet = beginPacket(timeNs)
        let event = out.beginMessage(PerfettoField.trackEvent)
        out.uint64(PerfettoField.type, PerfettoEventType.counter.rawValue)
        out.uint64(PerfettoField.trackUUID, track)
        if value == value.rounded(.towardZero), abs(value) < 9_007_199_254_740_992 {
            out.int64(PerfettoField.counterValue, Int64(value))
        } else {
            out.double(PerfettoField.doubleCounterValue, value)
        }
        out.endMessage(event)
        out.endMessage(packet)
    }

    private mutating func writeTaskAnnotation(_ task: UInt64) {
        let annotation = out.beginMessage(PerfettoField.debugAnnotations)
        out.uint64(PerfettoField.annotationNameIID, AnnotationName.task.rawValue)
        out.uint64(PerfettoField.annotationUIntValue, task)
        out.endMessage(annotation)
    }
}
