// The article's slow path, in Swift: doBlockingWork (sleeps that hold their thread, like a
// blocking system call) then doSchedulerWork (many short tasks on few threads, so they wait
// for a thread far longer than they run).
//
// Invariants:
// - Everything runs on the given executor (the counterpart of GOMAXPROCS(2)): the blocking
//   sleeps hold one of its threads; the spawned tasks queue for its threads.
// - doBlockingWork is one blocking region named "doBlockingWork"; the spawned tasks are all
//   named "doSchedulerWork.burst" (one group in `tracexport summary`) and are created inside
//   the region "doSchedulerWork"; the final sleep is inside it too.
// - The spawned tasks are not awaited (like the article's goroutines); each adds its result to
//   `completedBursts` when it finishes, so callers and tests can see they ran.

#if Hummingbird
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlightRecorder
import Synchronization

struct SlowPathPlan: Sendable {
    /// The article: 100 sleeps of 10 ms.
    var blockingSleeps = 100
    var blockingSleep: Duration = .milliseconds(10)
    /// The article: 100 goroutines, each formatting a short string.
    var spawnedTasks = 100
    /// String formats per spawned task: a burst of some tens of microseconds (release build),
    /// longer than creating and enqueuing a task, so the spawned tasks queue for the two threads
    /// as the article's goroutines queue for its two Ps.
    var burstIterations = 400
    /// The article: time.Sleep(1 * time.Second) after spawning.
    var finalSleep: Duration = .seconds(1)
}

final class PingWorkload: Sendable {
    let plan: SlowPathPlan
    let executor: any TaskExecutor
    private let bursts = Atomic<Int>(0)
    private let checksum = Atomic<Int>(0)

    init(plan: SlowPathPlan, executor: any TaskExecutor) {
        self.plan = plan
        self.executor = executor
    }

    /// Spawned tasks that have finished, over the process's life.
    var completedBursts: Int { bursts.load(ordering: .acquiring) }

    func slowPath() async {
        await withTaskExecutorPreference(executor) {
            doBlockingWork()
            await doSchedulerWork()
        }
    }

    func doBlockingWork() {
        let (seconds, attoseconds) = plan.blockingSleep.components
        var interval = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        Trace.withRegion("doBlockingWork") {
            for _ in 0..<plan.blockingSleeps {
                // The thread sleeps while the task keeps it: a blocking call, not a suspension.
                Trace.withBlockingCall("nanosleep") {
                    var remaining = timespec()
                    while nanosleep(&interval, &remaining) != 0 && errno == EINTR { interval = remaining }
                }
                interval = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
            }
        }
    }

    func doSchedulerWork() async {
        await Trace.withRegion("doSchedulerWork") {
            for _ in 0..<plan.spawnedTasks {
                Task(name: "doSchedulerWork.burst", executorPreference: executor) { [self] in
                    let result = Self.burst(iterations: plan.burstIterations)
                    checksum.add(result, ordering: .relaxed)
                    bursts.add(1, ordering: .releasing)
                }
            }
            try? await Task.sleep(for: plan.finalSleep)
        }
    }

    /// A short burst of CPU work (the article's fmt.Sprintf("hello")), returning something the
    /// optimizer cannot drop.
    static func burst(iterations: Int) -> Int {
        var total = 0
        for i in 0..<iterations {
            let text = "hello \(i)"
            total &+= text.utf8.count
        }
        return total
    }
}
#endif
