// `tracexport info`: what a trace holds: format, window, event counts by kind, tasks, threads,
// sizes, the trigger.
//
// Invariants:
// - Holds counters, the ids of live tasks (a task counts once from its first event to its
//   end; an id seen again after its end is a new task, as for the other exporters) and the
//   thread and actor ids seen: memory follows live tasks, threads and actors, never events or
//   ended tasks. Writes only in `finish`, from the final metadata.
// - JSON keys always present: format, version, events, eventsByKind (every kind, zeros
//   included, fixed order), startNs, endNs, durationNs, tasks, threads, fileBytes,
//   uncompressedBytes, bytesPerEvent (file bytes per event, 2 decimals), trigger,
//   triggerFields; optional metadata is null when unknown; damage is null or its one-line
//   description.
// - Actors only where the trace has actor events: then eventsByKind also lists the four actor
//   kinds (zeros included) and `actors` counts the actors, in JSON after `threads`, in text as
//   an "actors" line. A trace without actors is reported exactly as before actors existed.

import TraceModel

public struct InfoOptions: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var format: Format

    public init(format: Format = .text) {
        self.format = format
    }
}

public struct InfoExporter: TraceExporter {
    public var options: InfoOptions
    /// Event counts in `kindNames` order.
    private var counts = [Int64](repeating: 0, count: InfoExporter.kindNames.count)
    /// Live task ids and thread ids seen (an IDMap used as a set: every value is 0).
    private var liveTasks = IDMap<Int32>()
    private var taskCount = 0
    private var threadIDs = IDMap<Int32>()
    /// The thread the last event named (already in `threadIDs` when not none).
    private var lastThread = ThreadID.none.raw
    private var actorIDs = IDMap<Int32>()

    static let kindNames = ["threadName", "taskCreated", "taskState", "regionBegin", "regionEnd", "log", "counter",
                            "taskCPU", "actorCreated", "actorEnqueued", "actorAcquired", "actorReleased"]
    /// Kinds listed whatever the trace holds; the others (actors) only when present.
    static let baseKindCount = 8

    public init(options: InfoOptions = InfoOptions()) {
        self.options = options
    }

    public mutating func begin(metadata: TraceMetadata, tables: TraceTables, output: inout OutputBuffer) throws {}

    public mutating func consume(_ event: TraceEvent, tables: TraceTables, output: inout OutputBuffer) throws {
        switch event.kind {
        case .threadName(let thread, _):
            counts[0] += 1
            see(thread)
        case .taskCreated(let task, _, _, _, _):
            counts[1] += 1
            see(task)
        case .taskState(let task, let state, let thread, _, _):
            counts[2] += 1
            see(task)
            see(thread)
            if state == .ended { liveTasks.remove(task.raw) }
        case .regionBegin(let task, let thread, _, _):
            counts[3] += 1
            see(task)
            see(thread)
        case .regionEnd(let task, let thread, _):
            counts[4] += 1
            see(task)
            see(thread)
        case .log(let task, let thread, _, _):
            counts[5] += 1
            see(task)
            see(thread)
        case .counter:
            counts[6] += 1
        case .actorCreated(let actor, _):
            counts[8] += 1
            see(actor)
        case .actorEnqueued(let actor, let task):
            counts[9] += 1
            see(actor)
            see(task)
        case .actorAcquired(let actor, let task, let thread):
            counts[10] += 1
            see(actor)
            see(task)
            see(thread)
        case .actorReleased(let actor, let task):
            counts[11] += 1
            see(actor)
            see(task)
        case .taskCPU(let task, _, let thread):
            counts[7] += 1
            see(task)
            see(thread)
        }
    }

    @inline(__always)
    private mutating func see(_ task: TaskID) {
        if !task.isNone && liveTasks[task.raw] == nil {
            liveTasks.insert(task.raw, 0)
            taskCount += 1
        }
    }

    @inline(__always)
    private mutating func see(_ thread: ThreadID) {
        // Consecutive events mostly name the same thread: it is then known already.
        guard thread.raw != lastThread else { return }
        lastThread = thread.raw
        if !thread.isNone && threadIDs[thread.raw] == nil { threadIDs.insert(thread.raw, 0) }
    }

    @inline(__always)
    private mutating func see(_ actor: ActorID) {
        if !actor.isNone && actorIDs[actor.raw] == nil { actorIDs.insert(actor.raw, 0) }
    }

    var totalEvents: Int64 { counts.reduce(0, +) }

    var hasActorEvents: Bool { counts[Self.baseKindCount...].contains { $0 > 0 } }

    /// The kinds a report lists: the base kinds, and the actor kinds when the trace has any.
    var reportedKinds: Range<Int> { 0..<(hasActorEvents ? Self.kindNames.count : Self.baseKindCount) }

    /// File bytes per event, rounded to two decimals.
    static func bytesPerEvent(fileBytes: Int64, events: Int64) -> Double {
        guard events > 0 else { return 0 }
        return (Double(fileBytes) / Double(events) * 100).rounded() / 100
    }

    public mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                                output: inout OutputBuffer) throws {
        switch options.format {
        case .json: writeJSON(metadata, damage: damage, to: &output)
        case .text: writeText(metadata, damage: damage, to: &output)
        }
        try output.flushIfNeeded()
    }

    private func writeJSON(_ m: TraceMetadata, damage: TraceDamage?, to output: inout OutputBuffer) {
        let events = totalEvents
        output.write("{\"format\":")
        output.writeJSONString(m.format)
        output.write(",\"version\":")
        output.writeJSONString(m.version)
        output.write(",\"events\":")
        output.write(int: events)
        output.write(",\"eventsByKind\":{")
        for i in reportedKinds {
            if i > 0 { output.write(byte: UInt8(ascii: ",")) }
            output.writeJSONString(Self.kindNames[i])
            output.write(byte: UInt8(ascii: ":"))
            output.write(int: counts[i])
        }
        output.write("},\"startNs\":")
        output.write(int: m.startNs)
        output.write(",\"endNs\":")
        output.write(int: m.endNs)
        output.write(",\"durationNs\":")
        output.write(int: m.durationNs)
        output.write(",\"tasks\":")
        output.write(int: Int64(taskCount))
        output.write(",\"threads\":")
        output.write(int: Int64(threadIDs.count))
        if hasActorEvents {
            output.write(",\"actors\":")
            output.write(int: Int64(actorIDs.count))
        }
        output.write(",\"fileBytes\":")
        output.write(int: m.fileBytes)
        output.write(",\"uncompressedBytes\":")
        output.write(int: m.uncompressedBytes)
        output.write(",\"bytesPerEvent\":")
        output.writeJSONNumber(Self.bytesPerEvent(fileBytes: m.fileBytes, events: events))
        output.write(",\"trigger\":")
        output.writeJSONString(m.trigger)
        output.write(",\"triggerFields\":{")
        for (i, field) in m.triggerFields.enumerated() {
            if i > 0 { output.write(byte: UInt8(ascii: ",")) }
            output.writeJSONString(field.key)
            output.write(byte: UInt8(ascii: ":"))
            output.writeJSONString(field.value)
        }
        output.write("},\"pid\":")
        writeOptional(m.pid, &output)
        output.write(",\"executable\":")
        output.writeJSONString(m.executable)
        output.write(",\"hostname\":")
        output.writeJSONString(m.hostname)
        output.write(",\"wallClockStartNs\":")
        writeOptional(m.wallClockStartNs, &output)
        output.write(",\"minAgeNs\":")
        writeOptional(m.minAgeNs, &output)
        output.write(",\"maxBytes\":")
        writeOptional(m.maxBytes, &output)
        output.write(",\"damage\":")
        if let damage { output.writeJSONString(damage.description) } else { output.write("null") }
        output.write("}\n")
    }

    private func writeOptional(_ value: Int64?, _ output: inout OutputBuffer) {
        if let value { output.write(int: value) } else { output.write("null") }
    }

    private func writeText(_ m: TraceMetadata, damage: TraceDamage?, to output: inout OutputBuffer) {
        let events = totalEvents
        var lines: [(String, String)] = []
        lines.append(("format", m.version.isEmpty ? m.format : "\(m.format) \(m.version)"))
        lines.append(("window", "\(m.startNs) .. \(m.endNs) ns (\(DurationText.format(m.durationNs)))"))
        let byKind = Self.kindNames.indices.filter { counts[$0] > 0 }.map { "\(Self.kindNames[$0]) \(counts[$0])" }
        lines.append(("events", byKind.isEmpty ? "0" : "\(events) (\(byKind.joined(separator: ", ")))"))
        lines.append(("tasks", String(taskCount)))
        lines.append(("threads", String(threadIDs.count)))
        if hasActorEvents { lines.append(("actors", String(actorIDs.count))) }
        lines.append(("file bytes", String(m.fileBytes)))
        lines.append(("uncompressed bytes", String(m.uncompressedBytes)))
        lines.append(("bytes per event", Self.bytesPerEvent(fileBytes: m.fileBytes, events: events).description))
        if !m.trigger.isEmpty { lines.append(("trigger", oneLine(m.trigger))) }
        for field in m.triggerFields { lines.append(("  " + oneLine(field.key), oneLine(field.value))) }
        if let pid = m.pid { lines.append(("pid", String(pid))) }
        if !m.executable.isEmpty { lines.append(("executable", oneLine(m.executable))) }
        if !m.hostname.isEmpty { lines.append(("hostname", oneLine(m.hostname))) }
        if let minAge = m.minAgeNs { lines.append(("min age", DurationText.format(minAge))) }
        if let maxBytes = m.maxBytes { lines.append(("max bytes", String(maxBytes))) }
        if let damage { lines.append(("damage", oneLine(damage.description))) }
        let width = lines.map(\.0.count).max() ?? 0
        for (key, value) in lines {
            output.write(key + ":" + String(repeating: " ", count: width - key.count + 1) + value + "\n")
        }
    }

    private func oneLine(_ s: String) -> String {
        String(s.map { $0.isNewline ? " " : $0 })
    }
}
