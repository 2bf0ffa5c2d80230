// The scheduling capture: what a RecordingExecutor and the global executor takeover record for
// every job, checked on decoded snapshots (relations, not timings).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder
@testable import FlightRecorder
import Synchronization
import Testing
import TraceFormat
import TraceModel
import TraceReaders

extension Recorder {
    @Suite struct Scheduling {
        static func recorder() -> FlightRecorder {
            FlightRecorder(configuration: .init(minAge: .seconds(60), maxBytes: 64 << 20))
        }

        @Test("the article's case: 100 tasks spawned onto 2 busy threads wait more than 10x their execution")
        func spawnedTasksWaitFarLongerThanTheyRun() async throws {
            #expect(RuntimeTask.layoutKnown)
            let executor = RecordingExecutor(threads: 2)
            defer { executor.shutdown() }
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }

            let spawner = await withTaskExecutorPreference(executor) {
                await withDiscardingTaskGroup { group in
                    // Both threads are kept busy first...
                    for _ in 0..<2 { group.addTask(name: "hog") { _ = spin(nanoseconds: 30_000_000) } }
                    // ...then 100 short bursts of work queue up behind them.
                    for _ in 0..<100 {
                        group.addTask { _ = String(describing: (1...20).map { $0 * $0 }) }
                    }
                }
                return TaskIdentity.currentSwiftTask
            }
            #expect(executor.waitUntilIdle(), "the executor's jobs end")
            let snapshot = try DecodedSnapshot(recorder.snapshot())
            let timeline = SchedulingTimeline(snapshot)

            let children = timeline.children(of: spawner)
            let bursts = children.filter { $0.name == nil }
            let hogs = children.filter { $0.name == "hog" }
            #expect(hogs.count == 2)
            #expect(bursts.count == 100)
            #expect(bursts.allSatisfy { $0.created && $0.ended && $0.jobs >= 1 })
            // Each was made runnable by the task that spawned it.
            #expect(bursts.allSatisfy { $0.wakers.first == spawner })
            let execution = bursts.map(\.runningNs).reduce(0, +)
            let wait = bursts.map(\.runnableNs).reduce(0, +)
            #expect(execution > 0)
            #expect(wait > 10 * execution, "scheduling wait \(wait) ns vs execution \(execution) ns")
            #expect(timeline.threadNames.contains("tracexport-worker-0"))
            #expect(timeline.threadNames.contains("tracexport-worker-1"))
        }

        @Test("a task that sleeps 100 x 10 ms is blocked about 1 s for reason sleep")
        func sleepsAreBlockedForSleep() async throws {
            let executor = RecordingExecutor(threads: 2)
            defer { executor.shutdown() }
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }

            let sleeper = Task(name: "sleeper", executorPreference: executor) {
                for _ in 0..<100 { try? await Task.sleep(for: .milliseconds(10)) }
                return TaskIdentity.currentSwiftTask
            }
            let id = await sleeper.value
            #expect(executor.waitUntilIdle(), "the executor's jobs end")
            let timeline = SchedulingTimeline(try DecodedSnapshot(recorder.snapshot()))
            let task = try #require(timeline.tasks[id])
            #expect(task.name == "sleeper")
            #expect(task.ended)
            #expect(task.blocks["sleep"] == 100)
            // The first enqueue is by the creator; every wake-up after a sleep is by a timer.
            #expect(task.wakers.count == 101)
            #expect(task.wakers.dropFirst().allSatisfy { $0 == 0 }, "\(task.wakers.prefix(8)) parent \(String(describing: task.parent)) id \(id)")
            let slept = task.blockedNs["sleep"] ?? 0
            #expect(slept >= 0.95e9 && slept < 3e9, "blocked for sleep \(slept) ns")
            #expect(task.blockedNs.keys.allSatisfy { $0 == "sleep" })
            // Woken by timers: no task behind the wake-ups, so nothing else is charged.
            #expect(task.runningNs < slept)
        }

        @Test("every job's enqueue precedes its start, start precedes end, and a task's jobs never overlap")
        func jobsAreOrderedAndNeverOverlap() async throws {
            let executor = RecordingExecutor(threads: 2)
            defer { executor.shutdown() }
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }

            let resumer = RecordingExecutor(threads: 1, name: "resumer")
            defer { resumer.shutdown() }
            await withTaskExecutorPreference(executor) {
                await withTaskGroup(of: Int.self) { group in
                    for i in 0..<50 {
                        group.addTask {
                            var total = i
                            for round in 0..<5 {
                                switch round % 3 {
                                case 0: await Task.yield()
                                case 1: try? await Task.sleep(for: .microseconds(200))
                                default:
                                    // Resumed from another executor's thread, racing the job's end.
                                    total += await withCheckedContinuation { continuation in
                                        Task(executorPreference: resumer) { continuation.resume(returning: 1) }
                                    }
                                }
                                async let child = spin(nanoseconds: 20_000)
                                total &+= Int(truncatingIfNeeded: await child)
                            }
                            return total
                        }
                    }
                    for await _ in group {}
                }
            }
            #expect(executor.waitUntilIdle(), "the executor's jobs end")
            #expect(resumer.waitUntilIdle(), "the executor's jobs end")
            let timeline = SchedulingTimeline(try DecodedSnapshot(recorder.snapshot()))
            #expect(timeline.tasks.count > 100)
            for task in timeline.tasks.values {
                #expect(task.orderViolations.isEmpty, "task \(task.id): \(task.orderViolations)")
            }
            let yielded = timeline.tasks.values.filter { $0.jobs >= 10 }
            #expect(!yielded.isEmpty)
        }

        @Test("a task's creation names its parent and its Task(name:) as name and group, and its end is recorded once")
        func creationAndEnd() async throws {
            let executor = RecordingExecutor(threads: 1, name: "lifecycle")
            defer { executor.shutdown() }
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }
            let (parent, child) = await Task(executorPreference: executor) {
                let child = Task(name: "child task", executorPreference: executor) { TaskIdentity.currentSwiftTask }
                return (TaskIdentity.currentSwiftTask, await child.value)
            }.value
            #expect(executor.waitUntilIdle(), "the executor's jobs end")
            let snapshot = try DecodedSnapshot(recorder.snapshot())
            let created = snapshot.allEvents.filter { $0.event.kind == .taskCreated && $0.event.task == child }
            #expect(created.count == 1)
            #expect(created.first?.event.other == parent)
            #expect(created.first?.event.name == "child task")
            #expect(created.first?.event.group == "child task")
            let parentCreated = snapshot.allEvents.first { $0.event.kind == .taskCreated && $0.event.task == parent }
            #expect(parentCreated?.event.name == "" && parentCreated?.event.group == "")
            let ended = snapshot.allEvents.filter { $0.event.kind == .taskEnded && $0.event.task == child }
            #expect(ended.count == 1)
            #expect(SchedulingTimeline(snapshot).threadNames.contains("lifecycle-0"))
        }

        @Test("with thread CPU time on, a job that spins has CPU time and a job that blocks its thread has almost none")
        func threadCPUTimeTellsSpinningFromBlocking() async throws {
            let executor = RecordingExecutor(threads: 1, name: "cpu")
            defer { executor.shutdown() }
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }
            ThreadCPUTime.isEnabled = true
            defer { ThreadCPUTime.isEnabled = false }
            let spinner = await Task(executorPreference: executor) { _ = spin(nanoseconds: 20_000_000); return TaskIdentity.currentSwiftTask }.value
            let blocker = await Task(executorPreference: executor) { usleep(20_000); return TaskIdentity.currentSwiftTask }.value
            #expect(executor.waitUntilIdle(), "the executor's jobs end")
            let timeline = SchedulingTimeline(try DecodedSnapshot(recorder.snapshot()))
            let spun = try #require(timeline.tasks[spinner])
            let blocked = try #require(timeline.tasks[blocker])
            #expect(spun.cpuNs.count == 1 && blocked.cpuNs.count == 1)
            // Relative to each other, so a loaded machine (the spinner preempted) cannot flip it.
            let spinShare = Double(spun.cpuNs.reduce(0, +)) / spun.runningNs
            let blockShare = Double(blocked.cpuNs.reduce(0, +)) / blocked.runningNs
            #expect(blockShare < 0.2, "CPU share of the blocked job: \(blockShare)")
            #expect(spinShare > 5 * blockShare, "CPU share: spinning \(spinShare), blocked \(blockShare)")
        }

        @Test("a task that yields 100 times on one thread is runnable once per yield, with itself as waker")
        func yieldsWriteOneRunnableEach() async throws {
            let executor = RecordingExecutor(threads: 1, name: "yielder")
            defer { executor.shutdown() }
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }

            let (spawner, yielder) = await withTaskExecutorPreference(executor) {
                let spawner = TaskIdentity.currentSwiftTask
                let yielder = await Task(executorPreference: executor) {
                    for _ in 0..<100 { await Task.yield() }
                    return TaskIdentity.currentSwiftTask
                }.value
                return (spawner, yielder)
            }
            #expect(executor.waitUntilIdle(), "the executor's jobs end")
            let timeline = SchedulingTimeline(try DecodedSnapshot(recorder.snapshot()))
            let task = try #require(timeline.tasks[yielder])
            #expect(task.orderViolations.isEmpty, "\(task.orderViolations)")
            #expect(task.created && task.ended)
            // The first enqueue, then one runnable record per yield: written at the yield's end,
            // none again when the yield's continuation re-enqueues the task.
            #expect(task.jobs == 101)
            #expect(task.wakers.count == 101)
            #expect(task.wakers.first == spawner)
            #expect(task.wakers.dropFirst().allSatisfy { $0 == yielder })
        }

        @Test("nothing is recorded and every job still runs when the recorder is off")
        func offRecordsNothing() async throws {
            let executor = RecordingExecutor(threads: 2, name: "quiet")
            defer { executor.shutdown() }
            let sum = await withTaskExecutorPreference(executor) {
                await withTaskGroup(of: Int.self) { group in
                    for i in 0..<200 { group.addTask { await Task.yield(); return i } }
                    return await group.reduce(0, +)
                }
            }
            #expect(sum == 199 * 200 / 2)
            #expect(!fr_is_recording())
        }

        @Test("time a task spends on an executor that records nothing is not charged as running")
        func hopsToUnrecordedExecutorsAreRunnable() async throws {
            let executor = RecordingExecutor(threads: 2, name: "hopping")
            defer { executor.shutdown() }
            let foreign = ForeignActor()
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }
            let id = await Task(executorPreference: executor) {
                for _ in 0..<5 { await foreign.work(nanoseconds: 4_000_000) }
                return TaskIdentity.currentSwiftTask
            }.value
            #expect(executor.waitUntilIdle(), "the executor's jobs end")
            let timeline = SchedulingTimeline(try DecodedSnapshot(recorder.snapshot()))
            let task = try #require(timeline.tasks[id])
            #expect(task.orderViolations.isEmpty, "\(task.orderViolations)")
            // 20 ms of work happened on the foreign actor's thread, not on ours.
            #expect(task.runnableNs > 2 * task.runningNs, "runnable \(task.runnableNs) ns, running \(task.runningNs) ns")
            #expect(task.jobs >= 5)
        }

        @Test("a task resumed after its executor shut down still runs to completion")
        func jobsAfterShutdownStillRun() async throws {
            let executor = RecordingExecutor(threads: 1, name: "closing")
            let resumed = await Task(executorPreference: executor) {
                // The executor shuts down while this task waits for a continuation and a sleep.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    executor.shutdown()
                    Task.detached { continuation.resume() }
                }
                try? await Task.sleep(for: .milliseconds(1))
                return true
            }.value
            #expect(resumed)
            // Bounded: a regression fails here instead of hanging the run.
            let deadline = ContinuousClock.now + .seconds(30)
            while !executor.hasStopped && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
            #expect(executor.hasStopped, "the executor stops after shutdown")
        }

        @Test("the global executor takeover records tasks that prefer no executor, and uninstall gives the executor back")
        func takeoverCoversGlobalTasks() async throws {
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }
            try GlobalExecutorTakeover.install()
            #expect(throws: GlobalExecutorTakeover.Failure.alreadyInstalled) { try GlobalExecutorTakeover.install() }
            let ids = await Task.detached {
                await withTaskGroup(of: UInt64.self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            try? await Task.sleep(for: .milliseconds(5))
                            return TaskIdentity.currentSwiftTask
                        }
                    }
                    return await group.reduce(into: [UInt64]()) { $0.append($1) }
                }
            }.value
            GlobalExecutorTakeover.uninstall()
            #expect(!GlobalExecutorTakeover.isInstalled)
            // Jobs handed to Dispatch before uninstall write their end stamps there.
            #expect(await GlobalExecutorTakeover.handedJobsHaveRun())
            // After uninstall, global tasks run on the runtime's executor again.
            let after = await Task.detached { TaskIdentity.currentSwiftTask }.value

            let timeline = SchedulingTimeline(try DecodedSnapshot(recorder.snapshot()))
            for id in ids {
                let task = try #require(timeline.tasks[id])
                #expect(task.created && task.ended && task.jobs >= 1)
                #expect(task.orderViolations.isEmpty)
            }
            // A sleep suspends its task unless the wake-up comes first (a thread preempted for
            // longer than the sleep): most tasks have two jobs with a block between them. On
            // Swift 6.3 a global task's sleep bypasses the delay hooks: the block has no reason
            // of its own, and its suspension point (Task._sleep) names it for readers.
            let suspended = ids.compactMap { timeline.tasks[$0] }.filter { $0.jobs >= 2 && $0.blocks.values.reduce(0, +) >= 1 }
            #expect(suspended.count >= ids.count / 2)
            #expect(timeline.tasks[after] == nil)
        }

        @Test("under the takeover, tasks of every priority run once each and are recorded")
        func takeoverRunsEveryPriority() async throws {
            let recorder = Self.recorder()
            try recorder.start()
            defer { recorder.stop() }
            try GlobalExecutorTakeover.install()
            // Background, utility, default, user-initiated, user-interactive: one queue each.
            let priorities = [0x09, 0x11, 0x15, 0x19, 0x21].map { TaskPriority(rawValue: $0) }
            let runs = RunCounts()
            let ids = await Task.detached { await withTaskGroup(of: UInt64.self) { group in
                for priority in priorities {
                    for _ in 0..<5 {
                        group.addTask(priority: priority) {
                            let id = TaskIdentity.currentSwiftTask
                            runs.counted(id)
                            await Task.yield()
                            return id
                        }
                    }
                }
                return await group.reduce(into: [UInt64]()) { $0.append($1) }
            } }.value
            GlobalExecutorTakeover.uninstall()
            #expect(await GlobalExecutorTakeover.handedJobsHaveRun())

            #expect(Set(ids).count == priorities.count * 5)
            #expect(runs.counts == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            let timeline = SchedulingTimeline(try DecodedSnapshot(recorder.snapshot()))
            for id in ids {
                let task = try #require(timeline.tasks[id])
                #expect(task.created && task.ended && task.jobs >= 1)
                #expect(task.orderViolations.isEmpty)
            }
        }
    }
}

/// How many times each task ran its counting step.
final class RunCounts: Sendable {
    private let table = Mutex<[UInt64: Int]>([:])
    func counted(_ task: UInt64) { table.withLock { $0[task, default: 0] += 1 } }
    var counts: [UInt64: Int] { table.withLock { $0 } }
}

/// A serial executor that records nothing: one plain thread.
final class ForeignExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked Sendable: `jobs` is accessed only under `lock`.
    private let lock = NSLockish()
    private var jobs: [UnownedJob] = []

    init() {
        let thread = TestThread(name: "foreign") { [self] in
            while true {
                let job: UnownedJob? = lock.withLock { jobs.isEmpty ? nil : jobs.removeFirst() }
                if let job { job.runSynchronously(on: asUnownedSerialExecutor()) } else { usleep(100) }
            }
        }
        _ = thread
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        lock.withLock { jobs.append(unowned) }
    }
}

actor ForeignActor {
    let executor = ForeignExecutor()
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    func work(nanoseconds: UInt64) { _ = spin(nanoseconds: nanoseconds) }
}

/// A pthread mutex for test helpers.
final class NSLockish: @unchecked Sendable {
    // @unchecked Sendable: the mutex is the synchronization.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}

extension Recorder.Scheduling {
    @Test("through the snapshot reader, the 100 anonymous tasks form one group named after the spawning region")
    func readerGroupsSpawnedTasksByRegion() async throws {
        let executor = RecordingExecutor(threads: 2, name: "grouping")
        defer { executor.shutdown() }
        let recorder = Self.recorder()
        try recorder.start()
        defer { recorder.stop() }
        await withTaskExecutorPreference(executor) {
            await Trace.withRegion("doSchedulerWork") {
                await withDiscardingTaskGroup { group in
                    for _ in 0..<2 { group.addTask(name: "hog") { _ = spin(nanoseconds: 20_000_000) } }
                    for _ in 0..<100 { group.addTask { _ = String(describing: (1...20).map { $0 * $0 }) } }
                }
            }
        }
        #expect(executor.waitUntilIdle(), "the executor's jobs end")
        var reader = try SnapshotTraceReader(bytes: recorder.snapshot())
        var group: [TaskID: String] = [:]
        var state: [TaskID: (TaskState, Int64)] = [:]
        var execution: [String: Int64] = [:]
        var wait: [String: Int64] = [:]
        var members: [String: Set<TaskID>] = [:]
        while let event = try reader.next() {
            switch event.kind {
            case .taskCreated(let task, _, _, let g, _):
                group[task] = reader.tables.string(g)
            case .taskState(let task, let next, _, _, _):
                if let (previous, since) = state[task], let g = group[task] {
                    switch previous {
                    case .running: execution[g, default: 0] += event.timeNs - since
                    case .runnable: wait[g, default: 0] += event.timeNs - since
                    default: break
                    }
                    members[g, default: []].insert(task)
                }
                state[task] = (next, event.timeNs)
            default:
                break
            }
        }
        #expect(reader.damage == nil)
        #expect(members["doSchedulerWork"]?.count == 100)
        #expect(members["hog"]?.count == 2)
        let exec = execution["doSchedulerWork"] ?? 0
        let waited = wait["doSchedulerWork"] ?? 0
        #expect(exec > 0 && waited > 10 * exec, "group doSchedulerWork: wait \(waited) ns, execution \(exec) ns")
    }
}
