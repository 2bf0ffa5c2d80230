// A name interned ahead of time, for annotations whose names are built at run time.
//
// Invariants: interning is process-wide and permanent (the id stays valid for every later
// snapshot), so intern a bounded set of names (routes, queue names), never per-request text;
// for one-off text use the `named:` variants of `Trace`, which write the text inline.

public struct TraceName: Sendable, Hashable {
    @usableFromInline let id: UInt64

    public init(_ text: String) {
        id = StringTable.shared.intern(text)
    }

    public init(_ text: StaticString) {
        id = StringTable.shared.intern(text)
    }

    /// The interned text.
    public var text: String { StringTable.shared.text(id) }
}
