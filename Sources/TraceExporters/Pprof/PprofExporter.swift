// A pprof profile (profile.proto, gzipped) of where tasks spent their time, for `go tool
// pprof`, Pyroscope, Polar Signals, speedscope.
//
// Stacks are the folded exporter's (StackTimeAggregator): the task group, then the captured
// stack with function, file and line (or the open regions), then for blocked time a leaf
// `[blocked: <reason>]`. Each sample carries one value per admitted state (PprofOptions), so
// `-sample_index` picks execution, scheduling wait, blocked or syscall time; the labels
// `task_group` and (for blocked time) `blocked_reason` allow `-tagfocus`.
//
// Invariants:
// - The values of one sample type add up exactly to the summary's total of that state (time
//   is attributed as the folded exporter does, in nanoseconds).
// - One sample per distinct stack: the running, runnable and syscall times of a stack share
//   it; blocked time has its own, under its reason leaf.
// - Streaming: live tasks and distinct stacks while reading; the profile is encoded at the end,
//   samples drained to the output (through gzip) in bounded chunks.

import TraceModel

public struct PprofExporter: StackTimeExporter {
    public var options: PprofOptions
    var stacks: StackTimeAggregator

    /// Sample types in profile order, with the state leaf kind each one collects.
    private static let columns: [(name: String, leaf: StackTrie.FrameKind, state: TaskState)] = [
        ("execution", .running, .running),
        ("scheduling_wait", .runnable, .runnable),
        ("blocked", .blocked, .blocked(reason: .empty)),
        ("syscall", .syscall, .syscall),
    ]

    public init(options: PprofOptions = PprofOptions()) {
        self.options = options
        stacks = Self.stacks(for: options)
    }

    /// Built again at `begin` (StackTimeExporter), so options changed after `init` apply.
    static func stacks(for options: PprofOptions) -> StackTimeAggregator {
        StackTimeAggregator(filter: options.state, stateLeaves: true, identity: .location)
    }

    public mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                                output: inout OutputBuffer) throws {
        stacks.finish(endNs: metadata.endNs)
        let columns = Self.columns.filter { options.state.admits($0.state) }
        var column = [Int](repeating: -1, count: 8)
        for (i, c) in columns.enumerated() { column[Int(c.leaf.rawValue)] = i }

        let gzip = options.gzip ? try GzipStream() : nil
        func drain(_ profile: inout PprofProfileWriter, _ output: inout OutputBuffer) throws {
            try profile.drain { bytes in
                if let gzip {
                    try gzip.write(bytes, into: &output)
                } else {
                    output.write(bytes: bytes.bindMemory(to: UInt8.self))
                    try output.flushIfNeeded()
                }
            }
        }

        var profile = PprofProfileWriter()
        profile.sampleTypes(columns.map(\.name), defaultType: columns.first?.name ?? "execution")

        // Samples: one per trie node that ends a stack (a state leaf's parent, or a blocked
        // leaf itself), in node order.
        let trie = stacks.trie
        var sampleOfNode: [Int32: Int] = [:]
        var samples: [(node: Int32, values: [Int64], reason: StringID?)] = []
        for node in 1..<trie.nodeCount {
            let ns = trie.weights[node]
            guard ns > 0, let kind = StackTrie.kind(trie.frames[node]), column[Int(kind.rawValue)] >= 0 else { continue }
            let stackNode = kind == .blocked ? Int32(node) : trie.parents[node]
            let reason = kind == .blocked ? StringID(StackTrie.value(trie.frames[node])) : nil
            let index: Int
            if let i = sampleOfNode[stackNode] {
                index = i
            } else {
                index = samples.count
                sampleOfNode[stackNode] = index
                samples.append((stackNode, Array(repeating: 0, count: columns.count), reason))
            }
            samples[index].values[column[Int(kind.rawValue)]] += ns
        }

        var locationOfFrame: [UInt64: UInt64] = [:]
        var path: [Int32] = []
        var ids: [UInt64] = []
        for sample in samples {
            trie.path(to: sample.node, into: &path)
            ids.removeAll(keepingCapacity: true)
            for node in path.reversed() {
                let frame = trie.frames[Int(node)]
                if let id = locationOfFrame[frame] {
                    ids.append(id)
                } else {
                    let id = location(frame, profile: &profile, tables: tables)
                    locationOfFrame[frame] = id
                    ids.append(id)
                }
            }
            var labels = [(key: "task_group", value: StackFrameText.text(trie.frames[Int(path[0])], tables: tables))]
            if let reason = sample.reason { labels.append(("blocked_reason", tables.string(reason))) }
            profile.sample(locations: ids, values: sample.values, labels: labels)
            if profile.shouldDrain { try drain(&profile, &output) }
        }

        let program = metadata.executable.isEmpty ? metadata.format : metadata.executable
        profile.finish(program: program, timeNanos: metadata.wallClockStartNs, durationNanos: max(0, stacks.endNs - metadata.startNs))
        try drain(&profile, &output)
        try gzip?.finish(into: &output)
    }

    /// The location of one trie frame (made once per distinct frame).
    private func location(_ frame: UInt64, profile: inout PprofProfileWriter, tables: TraceTables) -> UInt64 {
        if StackTrie.kind(frame) == .location {
            let code = stacks.locations[StackTrie.value(frame)]
            return profile.addLocation(name: StackFrameText.text(frame, tables: tables, locations: stacks.locations),
                                       file: tables.string(code.file), line: Int64(code.line))
        }
        return profile.addLocation(name: StackFrameText.text(frame, tables: tables), file: "", line: 0)
    }
}
