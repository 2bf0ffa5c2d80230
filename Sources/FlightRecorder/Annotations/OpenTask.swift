// Logical tasks opened in one call and closed in another, for work that no single closure
// brackets: a request whose response body is written after its handler returned, a server span
// from `startSpan` to `end()`. For the package's integrations; users have `Trace.withTask`,
// which brackets its body with the same three calls.
//
// Invariants:
// - `beginTask` records taskCreated (name and group written inline) with the current task as
//   parent; `endTask` records taskEnded. Each task must be ended exactly once: until then it
//   stays live in every snapshot's window state. Once a logical task was begun, annotations
//   look up the bound logical task for the rest of the process (`fr_logical_task_opened`).
// - `inTask` binds the task for its body, so annotations made inside (on the calling Swift task,
//   or synchronously on the calling thread) belong to it. Bodies may run in several `inTask`
//   calls, on different tasks and threads, between the begin and the end.
// - A task begun while nothing records has id 0: nothing is bound, nothing is ended, and the
//   calls cost a load and a branch.

import CFlightRecorder

@usableFromInline
package struct OpenTask: Sendable {
    /// The logical task's id as readers see it; 0 when it was not recorded.
    @usableFromInline package let id: UInt64

    init(id: UInt64) {
        self.id = id
    }
}

extension Trace {
    /// Opens a logical task named `name` (evaluated only while recording); close it with `endTask`.
    package static func beginTask(named name: @autoclosure () -> String) -> OpenTask {
        guard fr_is_recording() else { return OpenTask(id: 0) }
        var id: UInt64 = 0
        StringBytes.with(name()) { id = Emit.logicalTaskBegin(inlineName: $0) }
        if id != 0 { fr_logical_task_opened() }
        return OpenTask(id: id)
    }

    /// Opens a request's logical task named `METHOD route` (assembled while recording only, in a
    /// stack buffer: no String is built per request); close it with `endTask`. A server span
    /// started while it is bound is recorded on it and opens no task of its own.
    package static func beginTask(method: String, route: String) -> OpenTask {
        guard fr_is_recording() else { return OpenTask(id: 0) }
        var id: UInt64 = 0
        withRequestName(method: method, route: route) { id = Emit.logicalTaskBegin(inlineName: $0, request: true) }
        if id != 0 { fr_logical_task_opened() }
        return OpenTask(id: id)
    }

    /// Opens a logical task with a static name (interned); close it with `endTask`.
    static func beginTask(_ name: StaticString) -> OpenTask {
        let id = Emit.logicalTaskBegin(name: name)
        if id != 0 { fr_logical_task_opened() }
        return OpenTask(id: id)
    }

    /// Names `task` again, from any thread: readers call it `name`, and group it by `name`, for
    /// its whole life (the format's `task name`). Nothing is written while no recorder records.
    package static func renameTask(_ task: OpenTask, to name: String) {
        guard task.id != 0, fr_is_recording() else { return }
        StringBytes.with(name) { Emit.taskName(task: task.id, inlineName: $0) }
    }

    /// `renameTask(_:to:)` to `METHOD route` (assembled while recording only, in a stack buffer),
    /// or to `route` when `method` is nil.
    package static func renameTask(_ task: OpenTask, method: String?, route: String) {
        guard task.id != 0, fr_is_recording() else { return }
        guard let method else { return renameTask(task, to: route) }
        withRequestName(method: method, route: route) { Emit.taskName(task: task.id, inlineName: $0) }
    }

    /// Calls `body` with the bytes of `METHOD route`, assembled in a stack buffer.
    private static func withRequestName(method: String, route: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        StringBytes.with(method) { m in
            StringBytes.with(route) { r in
                withUnsafeTemporaryAllocation(byteCount: m.count + 1 + r.count, alignment: 1) { buffer in
                    var name = UTF8Line(buffer)
                    name.append(m)
                    name.append(byte: UInt8(ascii: " "))
                    name.append(r)
                    body(name.written)
                }
            }
        }
    }

    /// Closes `task`, from any thread. Balances the begin even when the recorder stopped since.
    package static func endTask(_ task: OpenTask) {
        guard task.id != 0 else { return }
        Emit.taskEnded(task: task.id)
    }

    /// Runs `body` with `task` bound: what it records belongs to the task. Inlinable (both
    /// forms) so that callers in other modules get it specialized: run as generic code, the
    /// wrapper cost more per request than the binding itself.
    @inlinable
    package static func inTask<R, E: Error>(_ task: OpenTask, _ body: () throws(E) -> R) throws(E) -> R {
        guard task.id != 0 else { return try body() }
        let result: Result<R, E> = LogicalTask.bound.withValue(task.id) {
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    @inlinable
    package static func inTask<R, E: Error>(_ task: OpenTask, isolation: isolated (any Actor)? = #isolation,
                                            _ body: () async throws(E) -> R) async throws(E) -> R {
        guard task.id != 0 else { return try await body() }
        let result: Result<R, E> = await LogicalTask.bound.withValue(task.id) {
            do throws(E) { return .success(try await body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// `inTask` for a body that may throw any error (a middleware's rest of the chain): the
    /// body's value is returned as is, not wrapped in a Result (a server's response would be
    /// copied into one and out again, and the Result destroyed, per request).
    @inlinable
    package static func inTaskRethrowing<R>(_ task: OpenTask, isolation: isolated (any Actor)? = #isolation,
                                            throwing body: () async throws -> R) async throws -> R {
        guard task.id != 0 else { return try await body() }
        return try await LogicalTask.bound.withValue(task.id, operation: body, isolation: isolation)
    }
}
