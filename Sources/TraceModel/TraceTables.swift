// Interned strings and stacks shared by a reader and the exporters consuming its events.
//
// Invariants:
// - Append only: an identifier, once handed out, names the same string or stack until the
//   end of the stream. Id 0 is the empty string and the empty stack.
// - Interning the same content twice returns the same identifier, so exporters may cache
//   per-identifier work (escaped JSON, folded frame names). `appendUnique` strings are the
//   exception: never looked up, so equal content elsewhere has its own identifier.
// - A reader owns the tables and mutates them only between handing out events; exporters
//   only read them.

public struct StackFrame: Hashable, Sendable {
    public var function: StringID
    public var file: StringID
    public var line: UInt32
    @inlinable package init(function: StringID, file: StringID = .empty, line: UInt32 = 0) {
        self.function = function
        self.file = file
        self.line = line
    }
}

public final class TraceTables {
    public private(set) var strings: [String] = [""]
    private var stringIndex: [String: StringID] = ["": .empty]
    /// Frames of each stack, leaf first.
    public private(set) var stacks: [[StackFrame]] = [[]]
    private var stackIndex: [[StackFrame]: StackID] = [[]: .none]

    package init() {}

    package func intern(_ s: String) -> StringID {
        if let id = stringIndex[s] { return id }
        let id = StringID(UInt32(strings.count))
        strings.append(s)
        stringIndex[s] = id
        return id
    }

    /// Adds a string without indexing it: for names built from an id a reader hands out once
    /// (a goroutine's "G<id>"), millions of which would make the index the reader's largest cost
    /// and memory. Equal content interned elsewhere gets another identifier; identifiers stay
    /// valid and exporters' per-identifier caches stay correct, they merely cache it twice.
    package func appendUnique(_ s: String) -> StringID {
        let id = StringID(UInt32(strings.count))
        strings.append(s)
        return id
    }

    package func intern(stack frames: [StackFrame]) -> StackID {
        if let id = stackIndex[frames] { return id }
        let id = StackID(UInt32(stacks.count))
        stacks.append(frames)
        stackIndex[frames] = id
        return id
    }

    @inlinable public func string(_ id: StringID) -> String {
        let i = Int(id.raw)
        return i < strings.count ? strings[i] : ""
    }

    @inlinable public func stack(_ id: StackID) -> [StackFrame] {
        let i = Int(id.raw)
        return i < stacks.count ? stacks[i] : []
    }

    public var stringCount: Int { strings.count }
    public var stackCount: Int { stacks.count }
}
