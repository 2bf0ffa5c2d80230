// Writes Perfetto TracePackets (a `Trace` message's repeated field 1): track descriptors and
// track events on one packet sequence, with names, categories and annotation names interned.
//
// Invariants:
// - One sequence (`sequenceID`). Its first packet carries SEQ_INCREMENTAL_STATE_CLEARED, sets
//   the sequence's defaults and interns the fixed names (`FixedName`), categories and
//   annotation names. Later packets leave `sequence_flags` out: the flag that marks a packet as
//   needing incremental state only tells readers what to skip after lost packets, and a file
//   written here loses none (two bytes per packet saved, on packets of a dozen bytes).
// - A name is interned once, in the packet of the first event that uses it (`pendingNames` are
//   written into that packet's `interned_data`); later events refer to its iid. Iids are given
//   in first-use order, so the output is deterministic for a given input.
// - Timestamps are deltas: the first packet defines a sequence-scoped incremental clock
//   (`deltaClockID`, 1 ns units, reading 0 at BOOTTIME 0) and makes it the sequence's default,
//   so each packet's `timestamp` is the nanoseconds since the previous packet's, and the
//   times they add up to are nanoseconds since the window start (`startNs`). Callers write
//   packets in non-decreasing time order (the exporter flushes its tracks as time moves); a
//   time earlier than the last one written is written as that time (a delta of 0).
// - Track uuids are small integers handed out in order (`newTrackUUID`); a track is described
//   (TrackDescriptor) before its first event.
// - Per event, nothing is allocated: names already interned are an array lookup, and fields
//   are written straight into the ProtobufWriter.

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
    private var nextNameIID = UInt64(FixedName.allCases.count + 1)
    /// Event-name iid per StringID raw value (0: not interned yet).
    private var stringIIDs: [UInt32] = []
    /// Iid of "blocked: <reason>" per reason StringID raw value (0: not interned yet).
    private var blockedIIDs: [UInt32] = []
    /// Iid of "task <id>" per task id, for holds of unnamed tasks.
    private var unnamedTaskIIDs = IDMap<Int32>()
    /// Names to intern in the next packet written.
    private var pendingNames: [(iid: UInt64, name: String)] = []
    private var nextTrackUUID: UInt64 = 1
    /// The time of the last packet written, in ns since `startNs`.
    private var lastTimeNs: Int64 = 0

    init(startNs: Int64) {
        self.startNs = startNs
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
    /// among its siblings by `rank` (clamped to int32). Written again to rename a track.
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
        out.uint64(PerfettoField.siblingOrderRank, min(rank, UInt64(Int32.max)))
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
        if !pendingNames.isEmpty { writePendingNames() }
        return packet
    }

    private mutating func writePendingNames() {
        let interned = out.beginMessage(PerfettoField.internedData)
        for entry in pendingNames {
            let message = out.beginMessage(PerfettoField.eventNames)
            out.uint64(PerfettoField.internedIID, entry.iid)
            out.string(PerfettoField.internedName, entry.name)
            out.endMessage(message)
        }
        out.endMessage(interned)
        pendingNames.removeAll(keepingCapacity: true)
    }

    // MARK: Track events

    /// A slice begins. `task`: the task id shown as argument `task` (0: none); `terminating`:
    /// flow arrows that end on this slice.
    @inline(__always)
    mutating func sliceBegin(track: UInt64, at timeNs: Int64, name: UInt64, category: UInt64 = 0, task: UInt64 = 0,
                             terminating: [UInt64] = []) {
        let packet = beginPacket(timeNs)
        let event = out.beginMessage(PerfettoField.trackEvent)
        out.uint64(PerfettoField.type, PerfettoEventType.sliceBegin.rawValue)
        out.uint64(PerfettoField.trackUUID, track)
        out.uint64(PerfettoField.nameIID, name)
        if category != 0 { out.uint64(PerfettoField.categoryIIDs, category) }
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
