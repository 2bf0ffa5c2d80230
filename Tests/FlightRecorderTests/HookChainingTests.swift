// GlobalExecutorTakeover beside hooks of someone else's on the runtime's three global-executor
// hooks, under one rule: never bypass a hook already in place. The delay and deadline hooks
// only observe a job on its way to the runtime, so ours call the hook they found. The enqueue
// hook takes every job over: over another executor's hook it could only move that executor's
// jobs off it, so the takeover refuses to install and leaves the hook alone. A hook installed
// over ours is never taken back by `uninstall`.

import ForeignHooks
import FlightRecorder
import Testing

extension Recorder {
    @Suite struct HookChaining {
        @Test("over another executor's enqueue hook, install refuses and its jobs keep going through that hook")
        func refusesOverAnotherExecutor() async throws {
            try #require(foreign_hooks_none_in_place(), "the runtime's own executor before the test")
            foreign_hooks_install_global()
            defer { foreign_hooks_remove() }
            #expect(throws: GlobalExecutorTakeover.Failure.anotherExecutorInstalled) { try GlobalExecutorTakeover.install() }
            #expect(!GlobalExecutorTakeover.isInstalled)
            #expect(foreign_hooks_global_in_place())
            let before = foreign_hooks_global_calls()
            #expect(await Task.detached { 42 }.value == 42)
            #expect(foreign_hooks_global_calls() > before, "a global job went through the other executor's hook")
        }

        @Test("over delay and deadline hooks, ours call them, and uninstall puts them back")
        func callsTheTimerHooksItFound() throws {
            try #require(foreign_hooks_none_in_place(), "the runtime's own executor before the test")
            foreign_hooks_install_timers()
            defer { foreign_hooks_remove() }
            try GlobalExecutorTakeover.install()
            #expect(!foreign_hooks_delay_in_place() && !foreign_hooks_deadline_in_place(), "the takeover's hooks are in place")
            let delayCalls = foreign_hooks_delay_calls(), deadlineCalls = foreign_hooks_deadline_calls()
            #expect(foreign_hooks_call_timer_hooks() == 2, "both chains reach the runtime")
            #expect(foreign_hooks_delay_calls() == delayCalls + 1, "the delay hook found was called")
            #expect(foreign_hooks_deadline_calls() == deadlineCalls + 1, "the deadline hook found was called")
            GlobalExecutorTakeover.uninstall()
            #expect(foreign_hooks_delay_in_place() && foreign_hooks_deadline_in_place())
        }

        @Test("hooks installed over the takeover's stay in place when it uninstalls")
        func leavesHooksInstalledOverIt() throws {
            try #require(foreign_hooks_none_in_place(), "the runtime's own executor before the test")
            try GlobalExecutorTakeover.install()
            foreign_hooks_install_timers()
            defer { foreign_hooks_remove() }
            GlobalExecutorTakeover.uninstall()
            #expect(!GlobalExecutorTakeover.isInstalled)
            #expect(foreign_hooks_delay_in_place() && foreign_hooks_deadline_in_place())
            #expect(foreign_hooks_call_timer_hooks() == 2, "the hooks left in place still reach the runtime")
        }
    }
}
