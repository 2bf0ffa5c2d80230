// A span's attributes iterated in place, for the end record.
//
// swift-distributed-tracing's `SpanAttributes` offers its entries only through `forEach`, a
// function of that library called through a closure with a copy of every key and value: for a
// server span's few attributes it took a third of the end record's time beside swift-otel. The
// struct is a wrapper of one stored property, `[String: SpanAttribute]`; reading that dictionary
// directly iterates it in code specialized here.
//
// Contract:
// - `forEach(in:inPlace:_:)` calls `body` with every (key, value) of the attributes, in the
//   order `SpanAttributes.forEach` gives them (both iterate the same dictionary). Callers that
//   measure then write attributes rely on that order staying the same between two calls.
// - The dictionary is read only when `layoutVerified`, which callers pass as `inPlace`: checked
//   once per process, at first use. Otherwise (a later swift-distributed-tracing that stores
//   attributes another way) every call goes through `SpanAttributes.forEach`, after one log
//   line. A wrapping tracer's forwarder keeps the answer, so that a span's end does not pay for
//   the lazy initialization's check.
//
// Why it is sound:
// - A struct with a single stored property has that property's layout (Swift's type layout:
//   no header, no padding around the only field), so a value of it reinterpreted as the
//   property's type is that property. The check establishes the single property and its type
//   from the type's own reflection metadata (its field records), before anything is
//   reinterpreted: the same size, stride and alignment as the dictionary's, exactly one stored
//   property, whose value's type is `[String: SpanAttribute]`. A probe with known entries then
//   reads back, reinterpreted, what `forEach` gives.
// - The reinterpreted value is a copy (`unsafeBitCast` retains the storage), so it lives as long
//   as the iteration, whatever the caller does with the original.

#if Tracing
import Logging
import Tracing

enum SpanAttributeEntries {
    /// Calls `body` with every attribute, in `SpanAttributes.forEach`'s order: through the
    /// dictionary when `inPlace` (only when `layoutVerified`), else through
    /// `SpanAttributes.forEach`.
    @inline(__always)
    static func forEach(in attributes: SpanAttributes, inPlace: Bool, _ body: (String, SpanAttribute) -> Void) {
        guard inPlace else { return attributes.forEach(body) }
        for (key, value) in unsafeBitCast(attributes, to: Storage.self) {
            body(key, value)
        }
    }

    typealias Storage = [String: SpanAttribute]

    /// Whether `SpanAttributes` is its dictionary and nothing else (once per process; one log
    /// line when not).
    static let layoutVerified: Bool = {
        if let failure = layoutFailure() {
            Logger(label: "FlightRecorderTracing.SpanAttributeEntries").notice(
                "Span attributes are read through SpanAttributes.forEach: \(failure)")
            return false
        }
        return true
    }()

    /// Why `SpanAttributes` cannot be read as its dictionary; nil when it can.
    static func layoutFailure() -> String? {
        guard MemoryLayout<SpanAttributes>.size == MemoryLayout<Storage>.size,
              MemoryLayout<SpanAttributes>.stride == MemoryLayout<Storage>.stride,
              MemoryLayout<SpanAttributes>.alignment == MemoryLayout<Storage>.alignment else {
            return "its size, stride and alignment (\(MemoryLayout<SpanAttributes>.size), "
                + "\(MemoryLayout<SpanAttributes>.stride), \(MemoryLayout<SpanAttributes>.alignment)) are not a dictionary's"
        }
        let fields = Array(Mirror(reflecting: SpanAttributes([:])).children)
        guard fields.count == 1 else { return "it has \(fields.count) stored properties, not 1" }
        guard type(of: fields[0].value) == Storage.self else {
            return "its stored property is a \(type(of: fields[0].value)), not a [String: SpanAttribute]"
        }
        var probe = SpanAttributes([:])
        probe.set("probe.text", value: .string("tracexport"))
        probe.set("probe.number", value: .int64(42))
        var viaForEach: [(String, SpanAttribute)] = []
        probe.forEach { viaForEach.append(($0, $1)) }
        let inPlace = Array(unsafeBitCast(probe, to: Storage.self))
        guard inPlace.map(\.key) == viaForEach.map(\.0), inPlace.map(\.value) == viaForEach.map(\.1) else {
            return "its dictionary does not hold what forEach gives"
        }
        return nil
    }
}
#endif
