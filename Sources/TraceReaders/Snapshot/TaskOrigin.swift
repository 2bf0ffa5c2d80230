// Which function created a task, from the stack its creation captured (taskOrigin records):
// the first frame outside the standard library and the concurrency runtime, named as the
// snapshot named it (`closure #1 in Shop.checkout(_:)`).
//
// Invariants:
// - A frame counts as library code when its name is in module Swift or _Concurrency (those
//   are where `Task.init`, `addTask` and `async let` live, specialized into callers' modules or
//   not), in the recorder itself, or a compiler thunk; unnamed frames (`image+0x...`) count as
//   the application's, so an executable without symbols still groups by creation site.
// - Decided once per distinct stack.

import TraceModel

struct TaskOriginNames {
    private var byStack: [StackID: StringID] = [:]

    /// The creating function of a task created at `stack`, or nil when every frame is library code.
    mutating func function(of stack: StackID, tables: TraceTables) -> StringID? {
        if let known = byStack[stack] { return known.isEmpty ? nil : known }
        let frame = tables.stack(stack).first { !Self.isLibrary(tables.string($0.function)) }
        let name = frame.map(\.function) ?? .empty
        byStack[stack] = name
        return name.isEmpty ? nil : name
    }

    static func isLibrary(_ function: String) -> Bool {
        if function.isEmpty { return true }
        for prefix in ["Swift.", "_Concurrency.", "(extension in Swift)", "(extension in _Concurrency)",
                       "static Swift.", "static _Concurrency.", "FlightRecorder.", "static FlightRecorder.",
                       "thunk for ", "reabstraction thunk", "swift_", "fr_"] where function.hasPrefix(prefix) {
            return true
        }
        return false
    }
}
