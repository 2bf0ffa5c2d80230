// Identifiers of the event model.
//
// Invariants:
// - Every identifier is a plain integer: events stay trivially copyable (no ARC traffic while
//   an exporter consumes millions of them).
// - The raw value 0 means "none" for every identifier kind: no task (the event belongs to a
//   thread), no stack, no thread, the empty string. Those values are inlinable computed
//   properties, not stored globals: a global of another module is reached through an accessor
//   call and a once-check wherever it is used, in the readers once per event.

/// A logical task: a Swift task, a goroutine, or a task made with the recorder's annotation API.
public struct TaskID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: UInt64
    @inlinable public init(_ raw: UInt64) { self.raw = raw }
    @inlinable public static var none: TaskID { TaskID(0) }
    @inlinable public var isNone: Bool { raw == 0 }
    @inlinable public static func < (a: TaskID, b: TaskID) -> Bool { a.raw < b.raw }
    public var description: String { String(raw) }
}

extension TaskID {
    /// Go user tasks (`runtime/trace.NewTask`) as the Go reader maps them: user task T is
    /// TaskID((1 << 63) | T); goroutines and Swift tasks never have the top bit set.
    package static func goUserTask(_ id: UInt64) -> TaskID { TaskID(goUserTaskBit | id) }
    package var isGoUserTask: Bool { raw & Self.goUserTaskBit != 0 }
    /// T, for a Go user task.
    package var goUserTaskNumber: UInt64 { raw & ~Self.goUserTaskBit }
    private static let goUserTaskBit: UInt64 = 1 << 63
}

/// An OS thread (Swift), or an M (Go).
public struct ThreadID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: UInt64
    @inlinable public init(_ raw: UInt64) { self.raw = raw }
    @inlinable public static var none: ThreadID { ThreadID(0) }
    @inlinable public var isNone: Bool { raw == 0 }
    @inlinable public static func < (a: ThreadID, b: ThreadID) -> Bool { a.raw < b.raw }
    public var description: String { String(raw) }
}

/// An actor instance (Swift: the actor object's address while the trace was recorded).
public struct ActorID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var raw: UInt64
    @inlinable public init(_ raw: UInt64) { self.raw = raw }
    @inlinable public static var none: ActorID { ActorID(0) }
    @inlinable public var isNone: Bool { raw == 0 }
    @inlinable public static func < (a: ActorID, b: ActorID) -> Bool { a.raw < b.raw }
    public var description: String { String(raw) }
}

/// An interned string; look it up in `TraceTables.strings`.
public struct StringID: Hashable, Sendable {
    public var raw: UInt32
    @inlinable public init(_ raw: UInt32) { self.raw = raw }
    @inlinable public static var empty: StringID { StringID(0) }
    @inlinable public var isEmpty: Bool { raw == 0 }
}

/// An interned stack (a list of frames, leaf first); look it up in `TraceTables.stacks`.
public struct StackID: Hashable, Sendable {
    public var raw: UInt32
    @inlinable public init(_ raw: UInt32) { self.raw = raw }
    @inlinable public static var none: StackID { StackID(0) }
    @inlinable public var isNone: Bool { raw == 0 }
}
