// Reads a Perfetto trace written by PerfettoTraceExporter back (with the test ProtobufMessage
// decoder and the field numbers of Perfetto's protos), checks the format's invariants, and
// renders it as text for goldens and comparisons.
//
// Packets inside `compressed_packets` containers are inflated and read in their place; a
// container must hold whole packets and nothing else.
//
// Checked (an Issue per violation):
// - the first packet clears incremental state and defines the delta clock as the default;
//   every packet is on that one sequence, with a timestamp (track events) that never goes back;
// - a track is described before any event uses it, and its parent before it;
// - every interned id an event uses (name, category, annotation name, callstack, and the
//   frames, function names and source paths a callstack uses) was interned before;
// - per track, slices begin and end balanced, strictly nested, never with zero length, with
//   ends before begins at one instant; nothing is left open;
// - every flow is started once, ended at most once, never before it starts.

import Testing
@testable import TraceExporters
import TraceModel

struct PerfettoSlice: Equatable {
    var group: String
    var track: String
    /// The track's sibling_order_rank: the task or thread id, the actor's order of first sight
    /// (Chrome's tid for the same track).
    var rank: Int64
    var name: String
    var beginNs: Int64
    var endNs: Int64
    var depth: Int

    /// What both exporters must agree on: the track's group and id, not its name (Chrome keeps
    /// one track per task id, so a task id seen again after its task ended shares the earlier
    /// task's track and name there, while Perfetto gives it a track of its own).
    var comparable: String { "\(group) \(rank) \(beginNs) \(depth) \(name) \(endNs)" }
}

struct PerfettoTrace {
    struct Track {
        var name: String
        var parent: UInt64
        var rank: Int64
        var isCounter: Bool
    }
    var tracks: [UInt64: Track] = [:]
    var slices: [PerfettoSlice] = []
    /// (track name, event name, category, time, message)
    var instants: [(track: String, name: String, category: String, timeNs: Int64, message: String)] = []
    var counters: [(track: String, timeNs: Int64, value: Double)] = []
    /// Flows with both ends.
    var completeFlows = 0
    /// The packets' bytes as the Trace would hold them bare (compressed containers inflated).
    var packetBytes = 0
    /// How many `compressed_packets` containers held them.
    var containers = 0
    /// Slice begins that carry a callstack.
    var slicesWithStacks = 0
    /// TraceAttributes: key and value as text.
    var attributes: [(key: String, value: String)] = []
    /// One line per packet, for goldens.
    var dump: [String] = []

    func groupName(of uuid: UInt64) -> String {
        guard let track = tracks[uuid] else { return "?" }
        return track.parent == 0 ? track.name : tracks[track.parent]?.name ?? "?"
    }

    func slices(track: String) -> [PerfettoSlice] { slices.filter { $0.track == track } }
}

func checkPerfetto(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> PerfettoTrace {
    func fail(_ message: String) { Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation) }
    var trace = PerfettoTrace()
    guard let root = try? ProtobufMessage(bytes) else {
        fail("not a protobuf message")
        return trace
    }
    typealias F = PerfettoField
    var names: [UInt64: String] = [:]
    var categories: [UInt64: String] = [:]
    var annotationNames: [UInt64: String] = [:]
    var functionNames: [UInt64: String] = [:]
    var sourcePaths: [UInt64: String] = [:]
    var frames: [UInt64: String] = [:]
    var callstacks: [UInt64: String] = [:]
    var deltaClock: UInt64?
    var defaultClock: UInt64?
    var nowNs: Int64 = 0
    var open: [UInt64: [(name: String, beginNs: Int64)]] = [:]
    var lastBeginNs: [UInt64: Int64] = [:]
    var flowsStarted = Set<UInt64>()
    var flowsEnded = Set<UInt64>()

    var packets: [ProtobufMessage] = []
    for field in root.fields {
        guard field.number == F.tracePacket, let packet = try? field.message() else {
            fail("Trace field \(field.number) is not a packet")
            continue
        }
        guard let compressed = packet.first(PerfettoPacketCompressor.compressedPacketsField)?.bytes else {
            packets.append(packet)
            trace.packetBytes += (field.bytes?.count ?? 0) + 1 + ProtobufWriter.varintSize(UInt64(field.bytes?.count ?? 0))
            continue
        }
        trace.containers += 1
        if packet.fields.count != 1 { fail("a compressed_packets container holds other fields too") }
        guard let inflated = try? inflateAll(compressed, gzip: false), let inner = try? ProtobufMessage(inflated) else {
            fail("compressed_packets container \(trace.containers) does not inflate to a Trace")
            continue
        }
        trace.packetBytes += inflated.count
        for f in inner.fields {
            guard f.number == F.tracePacket, let p = try? f.message() else {
                fail("a compressed container holds Trace field \(f.number)")
                continue
            }
            if p.has(PerfettoPacketCompressor.compressedPacketsField) { fail("a container inside a container") }
            packets.append(p)
        }
    }

    for (index, packet) in packets.enumerated() {
        if packet.first(F.trustedPacketSequenceID)?.uint != PerfettoPacketWriter.sequenceID {
            fail("packet \(index) is not on sequence \(PerfettoPacketWriter.sequenceID)")
        }
        if index == 0 {
            if packet.first(F.sequenceFlags)?.uint != PerfettoPacketWriter.incrementalStateCleared {
                fail("the first packet does not clear incremental state")
            }
            defaultClock = try? packet.first(F.tracePacketDefaults)?.message().first(F.timestampClockID)?.uint
            if let snapshot = try? packet.first(F.clockSnapshot)?.message() {
                for clock in snapshot.all(F.clocks) {
                    guard let c = try? clock.message() else { continue }
                    if c.first(F.clockIsIncremental)?.uint == 1 {
                        deltaClock = c.first(F.clockID)?.uint
                        nowNs = c.first(F.clockTimestamp)?.int ?? 0
                    }
                }
            }
            if deltaClock == nil || deltaClock != defaultClock { fail("the first packet does not make a delta clock the default") }
        } else if packet.has(F.sequenceFlags) {
            fail("packet \(index) sets sequence flags again")
        }
        if let interned = try? packet.first(F.internedData)?.message() {
            for (number, table) in [(F.eventNames, 0), (F.eventCategories, 1), (F.debugAnnotationNames, 2)] {
                for entry in interned.all(number) {
                    guard let e = try? entry.message(), let iid = e.first(F.internedIID)?.uint,
                          let name = e.first(F.internedName)?.string else {
                        fail("packet \(index): malformed interned entry")
                        continue
                    }
                    switch table {
                    case 0: if names[iid] != nil { fail("name iid \(iid) interned twice") }; names[iid] = name
                    case 1: categories[iid] = name
                    default: annotationNames[iid] = name
                    }
                }
            }
            for (number, isFunction) in [(F.functionNames, true), (F.sourcePaths, false)] {
                for entry in interned.all(number) {
                    guard let e = try? entry.message(), let iid = e.first(F.internedIID)?.uint,
                          let text = e.first(F.internedString)?.string else {
                        fail("packet \(index): malformed interned string")
                        continue
                    }
                    if isFunction { functionNames[iid] = text } else { sourcePaths[iid] = text }
                }
            }
            // Frames before callstacks: a packet may intern a callstack with its frames.
            for entry in interned.all(F.frames) {
                guard let e = try? entry.message(), let iid = e.first(F.internedIID)?.uint,
                      let function = e.first(F.frameFunctionNameID)?.uint.flatMap({ functionNames[$0] }) else {
                    fail("packet \(index): frame without an interned function name")
                    continue
                }
                var text = function
                if let path = e.first(F.frameSourcePathIID)?.uint {
                    guard let file = sourcePaths[path] else {
                        fail("packet \(index): frame \(iid) refers to source path \(path), not interned")
                        continue
                    }
                    text += " (\(file)" + (e.first(F.frameLineNumber)?.uint.map { ":\($0)" } ?? "") + ")"
                }
                if frames[iid] != nil { fail("frame iid \(iid) interned twice") }
                frames[iid] = text
            }
            for entry in interned.all(F.callstacks) {
                guard let e = try? entry.message(), let iid = e.first(F.internedIID)?.uint else {
                    fail("packet \(index): malformed callstack")
                    continue
                }
                let ids = e.all(F.callstackFrameIDs).compactMap(\.uint)
                let resolved = ids.compactMap { frames[$0] }
                if ids.isEmpty || resolved.count != ids.count { fail("packet \(index): callstack \(iid) has frames not interned") }
                callstacks[iid] = resolved.joined(separator: ";")
            }
        }
        if let delta = packet.first(F.timestamp)?.uint {
            nowNs += Int64(delta)  // (a delta: never back in time by construction of the format)
            if delta > UInt64(Int64.max / 2) { fail("packet \(index): timestamp delta \(delta) is negative") }
        }
        let t = nowNs
        if let list = try? packet.first(F.traceAttributes)?.message() {
            for a in list.all(F.attribute) {
                guard let attribute = try? a.message(), let key = attribute.first(F.attributeKey)?.string else {
                    fail("packet \(index): malformed trace attribute")
                    continue
                }
                let value = attribute.first(F.attributeStringValue)?.string.map { "\"\($0)\"" }
                    ?? attribute.first(F.attributeLongValue)?.int.map { "\($0)" }
                guard let value else {
                    fail("packet \(index): trace attribute \(key) without a value")
                    continue
                }
                trace.attributes.append((key, value))
                trace.dump.append("attribute \(key) \(value)")
            }
        }
        if let descriptor = try? packet.first(F.trackDescriptor)?.message() {
            let uuid = descriptor.first(F.uuid)?.uint ?? 0
            let parent = descriptor.first(F.parentUUID)?.uint ?? 0
            if uuid == 0 { fail("packet \(index): track without uuid") }
            if parent != 0 && trace.tracks[parent] == nil { fail("track \(uuid) described before its parent \(parent)") }
            let name = descriptor.first(F.trackName)?.string ?? ""
            if name.isEmpty { fail("track \(uuid) has no name") }
            let track = PerfettoTrace.Track(name: name, parent: parent, rank: descriptor.first(F.siblingOrderRank)?.int ?? 0,
                                            isCounter: descriptor.has(F.counter))
            trace.tracks[uuid] = track
            trace.dump.append("\(t) track \(uuid) \"\(name)\"" + (parent != 0 ? " in \(parent)" : "")
                              + (track.isCounter ? " counter" : "") + " rank \(track.rank)")
        }
        guard let event = try? packet.first(F.trackEvent)?.message() else { continue }
        guard packet.has(F.timestamp) else {
            fail("packet \(index): track event without timestamp")
            continue
        }
        let uuid = event.first(F.trackUUID)?.uint ?? 0
        guard let track = trace.tracks[uuid] else {
            fail("packet \(index): event on undescribed track \(uuid)")
            continue
        }
        var name = ""
        if let iid = event.first(F.nameIID)?.uint {
            if let n = names[iid] { name = n } else { fail("packet \(index): name iid \(iid) not interned") }
        }
        var category = ""
        for c in event.all(F.categoryIIDs) {
            if let n = c.uint.flatMap({ categories[$0] }) { category = n } else { fail("packet \(index): category not interned") }
        }
        var args: [String] = []
        var message = ""
        for a in event.all(F.debugAnnotations) {
            guard let annotation = try? a.message(), let iid = annotation.first(F.annotationNameIID)?.uint,
                  let key = annotationNames[iid] else {
                fail("packet \(index): debug annotation name not interned")
                continue
            }
            if let s = annotation.first(F.annotationStringValue)?.string {
                args.append("\(key)=\"\(s)\"")
                if key == "message" { message = s }
            } else if let u = annotation.first(F.annotationUIntValue)?.uint {
                args.append("\(key)=\(u)")
            }
        }
        if let iid = event.first(F.callstackIID)?.uint {
            if let stack = callstacks[iid] {
                args.append("stack=\"\(stack)\"")
                if event.first(F.type)?.uint == PerfettoEventType.sliceBegin.rawValue { trace.slicesWithStacks += 1 }
            } else {
                fail("packet \(index): callstack iid \(iid) not interned")
            }
        }
        var flows: [String] = []
        for f in event.all(F.flowIDs) {
            guard let id = f.fixed64 else { continue }
            if !flowsStarted.insert(id).inserted { fail("flow \(id) started twice") }
            flows.append("flow>\(id)")
        }
        for f in event.all(F.terminatingFlowIDs) {
            guard let id = f.fixed64 else { continue }
            if !flowsStarted.contains(id) { fail("flow \(id) ends before it starts") }
            if !flowsEnded.insert(id).inserted { fail("flow \(id) ended twice") }
            flows.append(">flow\(id)")
        }
        let type = event.first(F.type)?.uint ?? 0
        var line = "\(t) "
        switch type {
        case PerfettoEventType.sliceBegin.rawValue:
            if track.isCounter { fail("slice on counter track \(uuid)") }
            if name.isEmpty && !names.values.contains("") { fail("packet \(index): begin without name") }
            open[uuid, default: []].append((name, t))
            lastBeginNs[uuid] = t
            line += "B \(uuid) \"\(name)\""
        case PerfettoEventType.sliceEnd.rawValue:
            if lastBeginNs[uuid] == t { fail("end after a begin at the same time on track \(uuid) at \(t)") }
            guard let begun = open[uuid]?.popLast() else {
                fail("packet \(index): end without begin on track \(uuid)")
                continue
            }
            if t <= begun.beginNs { fail("zero-length or negative slice \(begun.name) on track \(uuid)") }
            trace.slices.append(PerfettoSlice(group: trace.groupName(of: uuid), track: track.name, rank: track.rank, name: begun.name,
                                              beginNs: begun.beginNs, endNs: t, depth: open[uuid]?.count ?? 0))
            line += "E \(uuid)"
        case PerfettoEventType.instant.rawValue:
            trace.instants.append((track.name, name, category, t, message))
            line += "I \(uuid) \"\(name)\""
        case PerfettoEventType.counter.rawValue:
            if !track.isCounter { fail("counter value on track \(uuid), not a counter track") }
            let value = event.first(F.counterValue)?.int.map(Double.init) ?? event.first(F.doubleCounterValue)?.double
            guard let value else {
                fail("counter without value")
                continue
            }
            trace.counters.append((track.name, t, value))
            line += "C \(uuid) \(value)"
        default:
            fail("packet \(index): event type \(type)")
        }
        if !category.isEmpty { line += " cat=\(category)" }
        for a in args { line += " " + a }
        for f in flows { line += " " + f }
        trace.dump.append(line)
    }
    for (uuid, slices) in open where !slices.isEmpty {
        fail("track \(uuid) left open: \(slices.map(\.name))")
    }
    trace.completeFlows = flowsEnded.count
    return trace
}

/// Runs an exporter over a script and returns its output bytes.
func exportBytes<E: TraceExporter>(_ exporter: E, _ script: TraceScript, damage: TraceDamage? = nil) throws -> [UInt8] {
    var exporter = exporter
    var reader = script.reader(damage: damage)
    var output = OutputBuffer()
    try exporter.run(&reader, output: &output)
    return output.bytes
}

/// The Chrome output's slices in PerfettoSlice form (group and track named as the Perfetto
/// exporter names them), to check that both exporters show the same thing.
func perfettoShapedSlices(_ chrome: ChromeTrace) -> [PerfettoSlice] {
    let groups = [1: "Tasks", 2: "Threads", 4: "Actors"]
    return chrome.slices.map { slice in
        let fallback = slice.pid == 2 ? "thread \(slice.tid)" : "?"
        return PerfettoSlice(group: groups[slice.pid] ?? "?", track: chrome.trackName(pid: slice.pid, tid: slice.tid) ?? fallback,
                             rank: Int64(slice.tid), name: slice.name, beginNs: Int64((slice.beginUs * 1000).rounded()),
                             endNs: Int64((slice.endUs * 1000).rounded()), depth: slice.depth)
    }
}

/// The slices with each track's rank replaced by its place among the distinct ranks of its
/// group: Chrome's tids are the ids, Perfetto's ranks (an int32) only keep their order, so the
/// two agree on places exactly when the Perfetto tracks are ordered as the ids are.
func rankedByPlace(_ slices: [PerfettoSlice]) -> [PerfettoSlice] {
    var ranks: [String: [Int64]] = [:]
    for slice in slices { ranks[slice.group, default: []].append(slice.rank) }
    let places = ranks.mapValues { Dictionary(uniqueKeysWithValues: Set($0).sorted().enumerated().map { ($1, Int64($0)) }) }
    return slices.map { slice in
        var placed = slice
        placed.rank = places[slice.group]![slice.rank]!
        return placed
    }
}

/// Checks that a Perfetto trace holds what the Chrome output of the same input holds: the same
/// slices on the same tracks (tracks in the same order), as many instants (besides wake-up
/// markers), counter values and complete flows.
func expectSameContent(_ perfetto: PerfettoTrace, _ chrome: ChromeTrace, sourceLocation: SourceLocation = #_sourceLocation) {
    let expected = rankedByPlace(perfettoShapedSlices(chrome)).map(\.comparable).sorted()
    let actual = rankedByPlace(perfetto.slices).map(\.comparable).sorted()
    if actual != expected {
        let firstDifference = zip(actual, expected).first { $0 != $1 }
        Issue.record("""
            perfetto slices differ from chrome's: \(actual.count) vs \(expected.count); first difference:
              perfetto: \(firstDifference.map { "\($0.0)" } ?? "-")
              chrome:   \(firstDifference.map { "\($0.1)" } ?? "-")
            """, sourceLocation: sourceLocation)
    }
    #expect(perfetto.instants.filter { $0.category != "wake" }.count == chrome.events(ph: "i").count,
            sourceLocation: sourceLocation)
    #expect(perfetto.counters.count == chrome.events(ph: "C").count, sourceLocation: sourceLocation)
    #expect(perfetto.completeFlows == chrome.events(ph: "s").count, sourceLocation: sourceLocation)
    #expect(perfetto.slicesWithStacks == chrome.events(ph: "B").filter { $0["sf"] != nil }.count,
            sourceLocation: sourceLocation)
}
