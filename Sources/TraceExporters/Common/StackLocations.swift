// Distinct code locations (function, file, line) of the stacks an exporter has seen, each
// with a dense index: the `location` frames of a StackTrie.
//
// Invariants:
// - Append only: an index, once handed out, names the same location until the end.
// - Equal frames get equal indices, so a trie keyed by location merges equal stacks.

import TraceModel

struct StackLocations {
    private(set) var frames: [StackFrame] = []
    private var index: [StackFrame: UInt32] = [:]

    mutating func index(of frame: StackFrame) -> UInt32 {
        if let i = index[frame] { return i }
        let i = UInt32(frames.count)
        frames.append(frame)
        index[frame] = i
        return i
    }

    subscript(_ i: UInt32) -> StackFrame { frames[Int(i)] }
}
