// The text of a StackTrie frame, as every stack exporter shows it: the name of a group, region
// or function (`(unnamed)` when empty), and the state leaves `[running]`, `[runnable]`,
// `[syscall]`, `[blocked: <reason>]` (`[blocked]` without one).
//
// Invariants:
// - `escape` applies to names and reasons only, never to the brackets around them.
// - A `location` frame shows its function's name (file and line are the exporter's business).

import TraceModel

enum StackFrameText {
    static func text(_ frame: UInt64, tables: TraceTables, locations: StackLocations? = nil,
                     escape: (String) -> String = { $0 }) -> String {
        let value = StackTrie.value(frame)
        switch StackTrie.kind(frame) {
        case .running: return "[running]"
        case .runnable: return "[runnable]"
        case .syscall: return "[syscall]"
        case .blocked:
            let reason = tables.string(StringID(value))
            return reason.isEmpty ? "[blocked]" : "[blocked: " + escape(reason) + "]"
        case .location:
            return name(locations.map { $0[value].function } ?? .empty, tables: tables, escape: escape)
        case .named, nil:
            return name(StringID(value), tables: tables, escape: escape)
        }
    }

    private static func name(_ id: StringID, tables: TraceTables, escape: (String) -> String) -> String {
        let name = tables.string(id)
        return name.isEmpty ? "(unnamed)" : escape(name)
    }
}
