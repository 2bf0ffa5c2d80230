// A hot/cold flame graph of where tasks spent their time, as one self-contained interactive
// SVG (FlameGraphDocument): no network, no Perl.
//
// Frames are the folded exporter's for the same state filter (StackTimeAggregator): a frame
// per distinct prefix of a folded line, as wide as the time under it, children left to right
// by name, the group at the bottom. Execution is warm, waiting cold (FlameGraphPalette).
//
// Invariants:
// - The frames' widths add up as the folded weights do: a frame's time is its own folded
//   weight plus its children's, and the bottom row adds up to the folded total.
// - Frames narrower than `minimumFramePixels` at full width are left out with everything
//   above them (FlameGraphOptions).
// - Streaming: live tasks and distinct stacks while reading; the SVG is written at the end,
//   frame by frame, flushed in bounded chunks.

import TraceModel

public struct FlameGraphExporter: StackTimeExporter {
    public var options: FlameGraphOptions
    var stacks: StackTimeAggregator

    public init(options: FlameGraphOptions = FlameGraphOptions()) {
        self.options = options
        stacks = Self.stacks(for: options)
    }

    /// Built again at `begin` (StackTimeExporter), so options changed after `init` apply.
    static func stacks(for options: FlameGraphOptions) -> StackTimeAggregator {
        StackTimeAggregator(filter: options.state, stateLeaves: options.state.hasStateLeaf, identity: .function)
    }

    public mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                                output: inout OutputBuffer) throws {
        stacks.finish(endNs: metadata.endNs)
        let trie = stacks.trie
        let count = trie.nodeCount

        // Time under each node, and how much of it is execution; the totals per state.
        var total = [Int64](repeating: 0, count: count)
        var execution = [Int64](repeating: 0, count: count)
        var byState = StateTimes()
        for node in stride(from: count - 1, through: 1, by: -1) {
            let own = trie.weights[node]
            if own > 0 {
                let state = ownState(trie.frames[node])
                byState.add(state, own)
                total[node] += own
                if state == .running { execution[node] += own }
            }
            let parent = Int(trie.parents[node])
            total[parent] += total[node]
            execution[parent] += execution[node]
        }

        var names: [String] = Array(repeating: "", count: count)
        var children: [[Int32]] = Array(repeating: [], count: count)
        for node in 1..<count where total[node] > 0 {
            names[node] = StackFrameText.text(trie.frames[node], tables: tables)
            children[Int(trie.parents[node])].append(Int32(node))
        }
        for i in children.indices where children[i].count > 1 {
            children[i].sort { names[Int($0)].utf8.lexicographicallyPrecedes(names[Int($1)].utf8) }
        }

        // Layout: depth-first, each frame at its parent's left edge plus its earlier siblings.
        let grandTotal = total[0]
        let areaWidth = Double(options.width - 2 * FlameGraphDocument.margin)
        func drawn(_ node: Int32) -> Bool {
            Double(total[Int(node)]) * areaWidth >= options.minimumFramePixels * Double(grandTotal)
        }
        var frames: [FlameGraphDocument.Frame] = []
        var maxDepth = -1
        var pending: [(node: Int32, x: Int64, depth: Int)] = []
        var x: Int64 = 0
        for child in children[0] {
            pending.append((child, x, 0))
            x += total[Int(child)]
        }
        pending.reverse()
        while let (node, left, depth) = pending.popLast() {
            guard drawn(node) else { continue }
            let n = Int(node)
            maxDepth = max(maxDepth, depth)
            frames.append(FlameGraphDocument.Frame(
                name: names[n], x: left, width: total[n], depth: depth, executionNs: execution[n],
                family: family(trie.frames[n], executionNs: execution[n], totalNs: total[n])))
            var childX = left
            var stackedChildren: [(Int32, Int64, Int)] = []
            for child in children[n] {
                stackedChildren.append((child, childX, depth + 1))
                childX += total[Int(child)]
            }
            pending.append(contentsOf: stackedChildren.reversed())
        }

        var document = FlameGraphDocument(options: options, totalNs: grandTotal, byState: byState,
                                          depth: maxDepth + 1, title: title(metadata))
        try document.write(frames, into: &output)
    }

    /// The state an own weight belongs to: its leaf's, or the filter's single state when there
    /// are no state leaves.
    private func ownState(_ frame: UInt64) -> TaskState {
        switch StackTrie.kind(frame) {
        case .running: .running
        case .runnable: .runnable
        case .syscall: .syscall
        case .blocked: .blocked(reason: .empty)
        case .named, .location, nil:
            switch options.state {
            case .running: .running
            case .runnable: .runnable
            case .syscall: .syscall
            case .blocked, .all: .blocked(reason: .empty)
            }
        }
    }

    private func family(_ frame: UInt64, executionNs: Int64, totalNs: Int64) -> FlameGraphPalette.Family {
        switch StackTrie.kind(frame) {
        case .running: return .execution
        case .runnable: return .schedulingWait
        case .syscall: return .syscall
        case .blocked: return .blocked
        case .named, .location, nil:
            if executionNs * 2 >= totalNs { return .execution }
            return switch options.state {
            case .runnable: .schedulingWait
            case .syscall: .syscall
            default: .blocked
            }
        }
    }

    private func title(_ metadata: TraceMetadata) -> String {
        if !options.title.isEmpty { return options.title }
        let what = switch options.state {
        case .all: "Where tasks spent their time"
        case .running: "Where tasks ran"
        case .runnable: "Where tasks waited for a thread"
        case .blocked: "Where tasks were blocked"
        case .syscall: "Where tasks were in system calls"
        }
        return metadata.trigger.isEmpty ? what : what + ": " + metadata.trigger
    }
}
