// The ids of a wrapped tracer's span, read from its InstrumentationContext without asking the
// tracer to write them as text.
//
// `Tracer` offers a span's ids only through `inject` (propagation headers): swift-otel, for one,
// builds its `traceparent` text on every call and keeps its span context type internal. Yet a
// tracer that keeps its ids in binary keeps them in some value of the context, and
// `InstrumentationContext.forEach` hands out every (key, value). This reader learns, from the
// first contexts of a wrapping tracer, which entry holds the ids and where, checking every
// answer against `inject`, and then reads them from there alone.
//
// Contract:
// - Learning. While checking, every context is asked through `inject` (as without this reader)
//   and its answer is the one returned. The first context that has ids in its `traceparent`
//   fixes the layout: the entry (key type) whose value's bytes hold the 16 trace-id bytes and
//   the 8 span-id bytes, either in W3C order or as native 64-bit words (high word first), the
//   value's type (the one its existential holds) and size, and the offsets. Every later
//   checked context must give, read at that layout, exactly what `inject` gave (the same ids,
//   no entry when it gave none). The flags are the byte right after the span id when it held
//   the `traceparent` flags in every check (W3C trace-context libraries keep them there); else,
//   when every check had the same flags, those flags; else the first byte outside the ids that
//   followed the flags through every check. Flags are not in the snapshot: only `spanContext` shows them.
// - Reading. After `requiredChecks` contexts with ids agreed, ids come from the layout alone:
//   the entry of the remembered key, its value's bytes at the remembered offsets. A context
//   without that entry is asked through `inject` (no span: cheap), and must have no ids there.
// - Falling back. The first disagreement, an entry of the remembered key holding another type,
//   `traceparent` ids found in no value, or no flags to read, make every later context go
//   through `inject` for the reader's life, with one log line.
//
// Why it is sound:
// - A value's layout is fixed by its type for the life of a process, and the reader stops
//   reading the moment the entry's value type is not the remembered one; reading the bytes of
//   the same type at the same offsets reads the same fields.
// - Ids are random (64 and 128 bits, W3C): bytes equal to a context's span id and trace id at a
//   place that is not where the tracer keeps them, in `requiredChecks` contexts in a row, happen
//   with negligible probability (below 2^-64 per check for the span id alone).
// - It never casts a value to a type (it reads the value's bytes through a function generic over
//   the type its existential holds, never dereferencing a pointer found in them), never reads
//   past the value's size (every read is bounds-checked against `MemoryLayout<T>.size`), and
//   never copies or retains the value.
// - A key's value type is fixed (`InstrumentationContext`'s subscript is typed by the key), so
//   the type check is a defence, not a path: a key whose value is an existential keeps the
//   existential's container, always of the same type, whose bytes are not the ids.
// - A tracer whose ids are text, behind a reference or in an existential's box has no value
//   whose bytes hold them: the reader falls back at the first span with ids, and reads them
//   through `inject` as before. A tracer that injects no `traceparent` keeps the reader
//   checking, which is the `inject` path.

#if Tracing
import Logging
import Synchronization
import Tracing

/// Reads a context's span ids at a layout learned from, and checked against, the wrapped
/// tracer's `inject`. One per wrapping tracer.
@usableFromInline
final class ContextIdentityReader: @unchecked Sendable {
    // @unchecked: `layout` is written once, under `learning`'s lock, before `mode` is set to
    // `.reading` with release ordering, and read only after `mode` was loaded as `.reading`
    // with acquire ordering; it never changes after that.

    /// How ids are read: `inject` while learning and after a fallback, the layout in between.
    enum Path: Int, Sendable {
        case learning = 0
        case reading = 1
        case injecting = 2
    }

    /// Contexts with ids that must agree with `inject` before the layout alone is used.
    static let requiredChecks = 16

    private let mode = Atomic<Int>(Path.learning.rawValue)
    private let learning = Mutex(Learning())
    private var layout = IdentityLayout.none
    private let logger: Logger

    @usableFromInline
    convenience init() {
        self.init(logger: Logger(label: "FlightRecorderTracing.ContextIdentityReader"))
    }

    init(logger: Logger) {
        self.logger = logger
    }

    /// Which path ids are read by now.
    var path: Path { Path(rawValue: mode.load(ordering: .acquiring)) ?? .injecting }

    /// The ids of `context`'s span, nil for none; `inject` reads them as the wrapped tracer
    /// propagates them.
    @inlinable
    func identity(of context: InstrumentationContext,
                  inject: (InstrumentationContext) -> FlightRecorderSpanContext?) -> FlightRecorderSpanContext? {
        guard !context.isEmpty else { return nil }
        if isReading, let ids = read(context, inject: inject) { return ids.identity }
        return checked(context, inject: inject)
    }

    @usableFromInline
    var isReading: Bool { mode.load(ordering: .acquiring) == Path.reading.rawValue }

    /// The ids at the layout (`.some(nil)`: the context has no span), or nil after a fallback.
    @usableFromInline
    func read(_ context: InstrumentationContext,
              inject: (InstrumentationContext) -> FlightRecorderSpanContext?) -> ReadIdentity? {
        let layout = self.layout
        switch layout.read(context) {
        case .ids(let ids):
            return ReadIdentity(identity: ids)
        case .absent:
            guard let injected = inject(context) else { return ReadIdentity(identity: nil) }
            fallBack(IdentityLayout.absentButInjected(injected))
            return nil
        case .otherType(let type):
            fallBack(layout.otherType(type))
            return nil
        }
    }

    /// While learning (or after a fallback): `inject`'s answer, compared with the layout.
    @usableFromInline
    func checked(_ context: InstrumentationContext,
                 inject: (InstrumentationContext) -> FlightRecorderSpanContext?) -> FlightRecorderSpanContext? {
        let injected = inject(context)
        guard mode.load(ordering: .relaxed) == Path.learning.rawValue else { return injected }
        let failure: String? = learning.withLock { learning in
            // Another thread may have finished (or given up) between the load and the lock.
            guard mode.load(ordering: .relaxed) == Path.learning.rawValue else { return nil }
            switch learning.check(context, injected: injected) {
            case .pending:
                return nil
            case .learned(let learned):
                // Written before the release store, under the lock: read only after an acquire
                // load of `.reading`, never written again.
                layout = learned
                mode.store(Path.reading.rawValue, ordering: .releasing)
                return nil
            case .failed(let reason):
                // Under the lock: no other check can complete the learning after this one failed.
                return giveUp() ? reason : nil
            }
        }
        if let failure { log(failure) }
        return injected
    }

    private func fallBack(_ reason: String) {
        if giveUp() { log(reason) }
    }

    /// Puts the reader on `inject` for good; false when it already was.
    private func giveUp() -> Bool {
        mode.exchange(Path.injecting.rawValue, ordering: .relaxed) != Path.injecting.rawValue
    }

    private func log(_ reason: String) {
        logger.notice("Span ids of the wrapped tracer are read through its inject from now on: \(reason)")
    }
}

/// Ids read at the layout: nil when the context has no span.
@usableFromInline
struct ReadIdentity {
    @usableFromInline let identity: FlightRecorderSpanContext?

    init(identity: FlightRecorderSpanContext?) {
        self.identity = identity
    }
}

/// What a reader learns while it checks: the layout found in the first context with ids, the
/// flags bytes still possible, and how many contexts agreed.
struct Learning {
    enum Outcome {
        case pending
        case learned(IdentityLayout)
        case failed(String)
    }

    var layout = IdentityLayout.none
    var agreed = 0
    /// Offsets in the value whose byte held the `traceparent` flags in every check.
    var flagsOffsets: [Int] = []
    /// The flags of every check so far, when they were all the same.
    var sameFlags: UInt8?

    mutating func check(_ context: InstrumentationContext, injected: FlightRecorderSpanContext?) -> Outcome {
        if layout.isNone {
            guard let injected else { return .pending }
            guard let found = IdentityLayout.find(injected, in: context) else {
                return .failed("no value of its context holds the ids of its traceparent (\(injected.traceparent))")
            }
            layout = found.layout
            flagsOffsets = found.flagsOffsets
            sameFlags = injected.flags
        } else {
            switch layout.read(context) {
            case .otherType(let type):
                return .failed(layout.otherType(type))
            case .absent:
                guard let injected else { return .pending }
                return .failed(IdentityLayout.absentButInjected(injected))
            case .ids(let read):
                guard let injected else {
                    return .failed("a context whose traceparent has no ids holds ids \(read.traceparent)")
                }
                guard read.traceIDHigh == injected.traceIDHigh, read.traceIDLow == injected.traceIDLow,
                      read.spanID == injected.spanID else {
                    return .failed("its context holds \(read.traceparent), its traceparent says \(injected.traceparent)")
                }
                flagsOffsets = layout.offsets(of: injected.flags, among: flagsOffsets, in: context)
                if sameFlags != injected.flags { sameFlags = nil }
            }
        }
        agreed += 1
        guard agreed >= ContextIdentityReader.requiredChecks else { return .pending }
        let next = layout.spanOffset + 8
        if flagsOffsets.contains(next) {
            layout.flags = .at(next)
        } else if let sameFlags {
            // Flags that never changed say nothing about which of the bytes equal to them holds
            // them (an optional's tag byte is 1 for every root span, say).
            layout.flags = .constant(sameFlags)
        } else if let first = flagsOffsets.first {
            layout.flags = .at(first)
        } else {
            return .failed("no byte of its context's value held the flags of every traceparent")
        }
        return .learned(layout)
    }
}

/// Where a context keeps its span's ids: the entry's key type, the value's type and size, and
/// the ids' offsets in the value's bytes.
struct IdentityLayout {
    /// How an id's bytes are laid out.
    enum Encoding {
        /// Big-endian bytes, as in `traceparent` (W3C trace-context libraries' byte arrays).
        case bytes
        /// Native-endian 64-bit words, the trace id's high word first.
        case words
    }

    enum Flags {
        case unknown
        case at(Int)
        case constant(UInt8)
    }

    enum Read {
        case ids(FlightRecorderSpanContext)
        case absent
        case otherType(Any.Type)
    }

    static let none = IdentityLayout(key: nil, valueType: nil, size: 0, traceOffset: 0, traceEncoding: .bytes,
                                     spanOffset: 0, spanEncoding: .bytes, flags: .unknown)

    var key: ObjectIdentifier?
    /// A metatype: trivially copied (the layout is copied on every read).
    var valueType: Any.Type?
    var size: Int
    var traceOffset: Int
    var traceEncoding: Encoding
    var spanOffset: Int
    var spanEncoding: Encoding
    var flags: Flags

    init(key: ObjectIdentifier?, valueType: Any.Type?, size: Int, traceOffset: Int, traceEncoding: Encoding,
         spanOffset: Int, spanEncoding: Encoding, flags: Flags) {
        self.key = key
        self.valueType = valueType
        self.size = size
        self.traceOffset = traceOffset
        self.traceEncoding = traceEncoding
        self.spanOffset = spanOffset
        self.spanEncoding = spanEncoding
        self.flags = flags
    }

    var isNone: Bool { key == nil }

    /// Why reading stops when the entry of the ids holds a value of `type`.
    func otherType(_ type: Any.Type) -> String {
        "the entry of the ids holds a \(type), not a \(valueType.map { "\($0)" } ?? "?")"
    }

    /// Why reading stops when a context without the entry of the ids has `injected` ids.
    static func absentButInjected(_ injected: FlightRecorderSpanContext) -> String {
        "a context without the entry of the ids has ids in its traceparent (\(injected.traceparent))"
    }

    /// The first entry of `context` whose value holds `ids`' trace id and span id, and the
    /// offsets (outside the ids) of the bytes equal to its flags.
    static func find(_ ids: FlightRecorderSpanContext,
                     in context: InstrumentationContext) -> (layout: IdentityLayout, flagsOffsets: [Int])? {
        var result: (layout: IdentityLayout, flagsOffsets: [Int])?
        context.forEach { key, value in
            guard result == nil else { return }
            result = withBytes(of: value) { type, bytes in
                guard let (traceOffset, traceEncoding) = locate(trace: ids, in: bytes),
                      let (spanOffset, spanEncoding) = locate(span: ids.spanID, in: bytes, outside: traceOffset..<traceOffset + 16)
                else { return nil }
                let layout = IdentityLayout(key: ObjectIdentifier(key.keyType), valueType: type,
                                            size: bytes.count, traceOffset: traceOffset, traceEncoding: traceEncoding,
                                            spanOffset: spanOffset, spanEncoding: spanEncoding, flags: .unknown)
                let flagsOffsets = bytes.indices.filter { !layout.holdsID($0) && bytes[$0] == ids.flags }
                return (layout, flagsOffsets)
            }
        }
        return result
    }

    /// The ids of `context`'s entry of this layout's key.
    func read(_ context: InstrumentationContext) -> Read {
        var read = Read.absent
        context.forEach { key, value in
            guard ObjectIdentifier(key.keyType) == self.key else { return }
            read = withBytes(of: value) { type, bytes in
                guard let valueType, ObjectIdentifier(type) == ObjectIdentifier(valueType) else { return .otherType(type) }
                // The same type has the same size; checked all the same, so that no read can pass
                // the value's end.
                guard bytes.count == size else { return .otherType(type) }
                return .ids(ids(in: bytes))
            }
        }
        return read
    }

    /// Of `candidates`, the offsets whose byte in `context`'s value is `flags`.
    func offsets(of flags: UInt8, among candidates: [Int], in context: InstrumentationContext) -> [Int] {
        var kept: [Int] = []
        context.forEach { key, value in
            guard ObjectIdentifier(key.keyType) == self.key else { return }
            withBytes(of: value) { _, bytes in
                kept = candidates.filter { $0 < bytes.count && bytes[$0] == flags }
            }
        }
        return kept
    }

    private func ids(in bytes: UnsafeRawBufferPointer) -> FlightRecorderSpanContext {
        let high: UInt64, low: UInt64, span: UInt64
        switch traceEncoding {
        case .bytes:
            high = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: traceOffset, as: UInt64.self))
            low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: traceOffset + 8, as: UInt64.self))
        case .words:
            high = bytes.loadUnaligned(fromByteOffset: traceOffset, as: UInt64.self)
            low = bytes.loadUnaligned(fromByteOffset: traceOffset + 8, as: UInt64.self)
        }
        switch spanEncoding {
        case .bytes: span = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: spanOffset, as: UInt64.self))
        case .words: span = bytes.loadUnaligned(fromByteOffset: spanOffset, as: UInt64.self)
        }
        let flags: UInt8
        switch self.flags {
        case .at(let offset): flags = bytes[offset]
        case .constant(let value): flags = value
        case .unknown: flags = 0
        }
        return FlightRecorderSpanContext(traceIDHigh: high, traceIDLow: low, spanID: span, parentSpanID: 0, flags: flags)
    }

    private func holdsID(_ offset: Int) -> Bool {
        (traceOffset..<traceOffset + 16).contains(offset) || (spanOffset..<spanOffset + 8).contains(offset)
    }

    /// The first offset where `ids`' trace id is, and how it is laid out.
    private static func locate(trace ids: FlightRecorderSpanContext,
                               in bytes: UnsafeRawBufferPointer) -> (Int, Encoding)? {
        guard bytes.count >= 16 else { return nil }
        for offset in 0...(bytes.count - 16) {
            let first = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let second = bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
            if UInt64(bigEndian: first) == ids.traceIDHigh && UInt64(bigEndian: second) == ids.traceIDLow {
                return (offset, .bytes)
            }
            if first == ids.traceIDHigh && second == ids.traceIDLow { return (offset, .words) }
        }
        return nil
    }

    /// The first offset, outside `excluded`, where `span` is, and how it is laid out.
    private static func locate(span: UInt64, in bytes: UnsafeRawBufferPointer,
                               outside excluded: Range<Int>) -> (Int, Encoding)? {
        guard bytes.count >= 8 else { return nil }
        for offset in 0...(bytes.count - 8) where !excluded.overlaps(offset..<offset + 8) {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            if UInt64(bigEndian: word) == span { return (offset, .bytes) }
            if word == span { return (offset, .words) }
        }
        return nil
    }
}

/// `body` over the type and bytes of `value`, opened at the type the existential holds (the
/// entry's value type: a context's values are stored as their key's `Value`): the value in
/// place, no copy, no lookup of its dynamic type.
private func withBytes<R>(of value: any Sendable, _ body: (Any.Type, UnsafeRawBufferPointer) -> R) -> R {
    func open<T>(_ value: borrowing T) -> R {
        withUnsafeBytes(of: value) { body(T.self, $0) }
    }
    return open(value)
}
#endif
