// The stacks being accumulated (folded, pprof, flame graph): a trie of frames with a weight
// per node.
//
// Invariants:
// - Node 0 is the root (no frame). A node is one frame key under one parent, so memory grows
//   with distinct stacks, never with events.
// - A frame key is a kind and a 32-bit value: every named frame (group, region, function by
//   name) shares one kind, so equal names at the same depth merge into one line; a `location`
//   frame is a function with its file and line (StackLocations index); state leaves have their
//   own kinds and cannot collide with a name.

import TraceModel

struct StackTrie {
    enum FrameKind: UInt64 {
        case named = 0
        case running = 1
        case runnable = 2
        case syscall = 3
        case blocked = 4
        case location = 5
    }

    private struct NodeKey: Hashable {
        var parent: Int32
        var frame: UInt64
    }

    private(set) var parents: [Int32] = [-1]
    private(set) var frames: [UInt64] = [0]
    private(set) var weights: [Int64] = [0]
    /// (parent, frame) packed into 64 bits while the parent fits in 29 bits (a frame key is
    /// 35 bits: 3 of kind, 32 of StringID); beyond that, the general dictionary.
    private var packedIndex = IDMap<Int32>(capacity: 1024)
    private var index: [NodeKey: Int32] = [:]
    private static let packedParentLimit: Int32 = 1 << 29

    @inline(__always)
    static func key(_ kind: FrameKind, _ id: StringID = .empty) -> UInt64 {
        kind.rawValue << 32 | UInt64(id.raw)
    }

    @inline(__always)
    static func locationKey(_ index: UInt32) -> UInt64 {
        FrameKind.location.rawValue << 32 | UInt64(index)
    }

    @inline(__always)
    static func kind(_ frame: UInt64) -> FrameKind? { FrameKind(rawValue: frame >> 32) }

    /// The StringID (named, blocked) or location index (location) of a frame key.
    @inline(__always)
    static func value(_ frame: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: frame) }

    static func leafKey(_ state: TaskState) -> UInt64 {
        switch state {
        case .running: key(.running)
        case .runnable: key(.runnable)
        case .syscall: key(.syscall)
        case .blocked(let reason): key(.blocked, reason)
        case .ended: key(.named)
        }
    }

    @inline(__always)
    mutating func child(_ parent: Int32, _ frame: UInt64) -> Int32 {
        if parent < Self.packedParentLimit {
            let packed = UInt64(parent) << 35 | frame
            if let node = packedIndex[packed] { return node }
            let node = append(parent, frame)
            packedIndex.insert(packed, node)
            return node
        }
        let key = NodeKey(parent: parent, frame: frame)
        if let node = index[key] { return node }
        let node = append(parent, frame)
        index[key] = node
        return node
    }

    private mutating func append(_ parent: Int32, _ frame: UInt64) -> Int32 {
        let node = Int32(parents.count)
        parents.append(parent)
        frames.append(frame)
        weights.append(0)
        return node
    }

    @inline(__always)
    mutating func add(_ node: Int32, _ ns: Int64) {
        weights[Int(node)] += ns
    }

    var nodeCount: Int { parents.count }

    /// The nodes from the root's child down to `node`.
    func path(to node: Int32, into path: inout [Int32]) {
        path.removeAll(keepingCapacity: true)
        var n = node
        while n > 0 {
            path.append(n)
            n = parents[Int(n)]
        }
        path.reverse()
    }
}
