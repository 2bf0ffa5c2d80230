// Chrome trace-event JSON (object form) for Perfetto UI, chrome://tracing and speedscope.
//
// Layout of the output:
// - process 1 "Tasks": one track per task (tid = task id, sorted by id) with its state slices
//   (running, runnable, blocked: <reason>, syscall) inside its region slices;
// - process 2 "Threads": one track per thread (tid = thread id) with a slice per task that ran
//   there (args.task = its id) inside the regions opened on the thread alone;
// - process 3 "Counters": one `C` series per counter name;
// - process 4 "Actors", written once an actor appears: one track per actor (tid = order of
//   first sight, named by its label) with a slice per hold, named by the holding task
//   (args.task = its id), and hand-off arrows between holds (ChromeActorTrack);
// - flow arrows ("s" on the waker, "f" with bp "e" on the woken task's next running slice),
//   numeric ids; logs as thread-scoped instants on the task's (or thread's) track;
// - when the trigger names a task in the trace (RequestTrigger), a slice "slow request <name>
//   <duration>" (cat "request", args.task) around everything on that task's track, from its
//   creation to its end, and a global instant (cat "request") named by the trigger at the window
//   end: a snapshot is cut when its trigger fires, and the metadata holds no other trigger time
//   (a window that ends before the trace does has no trigger instant);
// - `displayTimeUnit`, `otherData` (format, version, trigger, window, damage) and
//   `stackFrames` written once, after the events.
//
// Invariants:
// - Every track is strictly nested, ordered by time, with ends before begins at equal times
//   (ChromeTrack). Slices open at the window end are closed at `metadata.endNs`; what began
//   before the window arrives from the reader as begins at `startNs`. `ts` counts from the
//   trace's start (`metadata.originNs`): ts 0 for a whole trace, the window's offset for a
//   window cut from it (`--start`, `--split`), so windows line up with the whole trace.
// - Streaming: live tasks, threads, actors and open slices only; the event list is never held.
// - A trace without actors gets no "Actors" process: its output is what it was before actors.

import TraceModel

public struct ChromeTraceExporter: TraceExporter {
    public var options: ChromeOptions
    private var tracker = TaskStateTracker<ChromeTrack>(startNs: 0)
    private(set) var writer = ChromeEventWriter(startNs: 0, withStacks: false)
    private var threadSlots = IDMap<Int32>()
    private var threads: [ChromeTrack] = []
    private var nextFlowID: UInt64 = 1
    private var actors = ActorStateTracker()
    /// Per actor slot of `actors`.
    private var actorTracks: [ChromeActorTrack] = []
    private var wroteCounterProcess = false
    /// The request the trigger names, and whether its slice was begun (once, on its first task).
    private var request: RequestTrigger?
    private var markedRequest = false
    private var skippedCounters = 0

    public init(options: ChromeOptions = ChromeOptions()) {
        self.options = options
    }

    public mutating func begin(metadata: TraceMetadata, tables: TraceTables, output: inout OutputBuffer) throws {
        tracker = TaskStateTracker(startNs: metadata.startNs)
        writer = ChromeEventWriter(startNs: metadata.originNs, withStacks: options.stackFrames)
        request = RequestTrigger(metadata)
        markedRequest = false
        writer.out.write("{\"traceEvents\":[\n")
        writer.writeProcessMetadata(pid: ChromeProcess.tasks, name: "Tasks")
        if options.threadTracks {
            writer.writeProcessMetadata(pid: ChromeProcess.threads, name: "Threads")
        }
    }

    public mutating func consume(_ event: TraceEvent, tables: TraceTables, output: inout OutputBuffer) throws {
        let t = tracker.clamp(event.timeNs)
        switch event.kind {
        case .threadName(let thread, let name):
            guard options.threadTracks, !thread.isNone else { break }
            _ = threadSlot(thread)
            writer.writeThreadName(pid: ChromeProcess.threads, tid: thread.raw, name: tables.string(name))

        case .taskCreated(let id, let parent, let name, let group, _):
            guard !id.isNone else { break }
            let created = tracker.create(id, parent: parent, name: name, group: group, at: t)
            writeTaskMetadata(id, name: name, isNew: created.isNew, tables: tables)
            if created.isNew { markRequest(id, slot: created.slot, name: name, at: t, tables: tables) }
            if created.isNew, id.isGoUserTask {
                // A Go user task has no states: a slice named by it spans its life on its track.
                tracker[created.slot].extra.regions.append(SliceFrame(kind: .region, id: tracker.takeSerial(),
                                                                      name: name, stack: StackID(0)))
                tracker[created.slot].extra.changed(at: t)
            }

        case .taskState(let id, let state, let thread, let waker, let stack):
            guard !id.isNone else { break }
            taskState(id, state, thread: thread, waker: waker, stack: stack, at: t, tables: tables)

        case .regionBegin(let task, let thread, let name, let stack):
            let frame = SliceFrame(kind: .region, id: tracker.takeSerial(), name: name, stack: stack)
            if !task.isNone {
                let slot = taskSlot(task, at: t, tables: tables)
                tracker[slot].extra.prepareChange(at: t, writer: &writer, tables: tables)
                tracker[slot].extra.regions.append(frame)
                tracker[slot].extra.changed(at: t)
            } else if options.threadTracks && !thread.isNone {
                let ts = threadSlot(thread)
                threads[ts].prepareChange(at: t, writer: &writer, tables: tables)
                threads[ts].regions.append(frame)
                threads[ts].changed(at: t)
            }

        case .regionEnd(let task, let thread, let name):
            if !task.isNone {
                guard let slot = tracker.slot(of: task) else { break }
                tracker[slot].extra.prepareChange(at: t, writer: &writer, tables: tables)
                if tracker[slot].extra.closeRegion(named: name) { tracker[slot].extra.changed(at: t) }
            } else if options.threadTracks && !thread.isNone {
                guard let found = threadSlots[thread.raw] else { break }
                let ts = Int(found)
                threads[ts].prepareChange(at: t, writer: &writer, tables: tables)
                if threads[ts].closeRegion(named: name) { threads[ts].changed(at: t) }
            }

        case .log(let task, let thread, let category, let message):
            if !task.isNone {
                let slot = taskSlot(task, at: t, tables: tables)
                tracker[slot].extra.prepareChange(at: t, writer: &writer, tables: tables)
                writer.writeInstant(pid: ChromeProcess.tasks, tid: task.chromeTID, timeNs: t, name: category,
                                    message: message, tables: tables)
            } else if options.threadTracks && !thread.isNone {
                let ts = threadSlot(thread)
                threads[ts].prepareChange(at: t, writer: &writer, tables: tables)
                writer.writeInstant(pid: ChromeProcess.threads, tid: thread.raw, timeNs: t, name: category,
                                    message: message, tables: tables)
            }

        case .actorCreated(let actor, let name):
            guard !actor.isNone else { break }
            let found = actors.create(actor, name: name)
            if found.isNew { addActorTrack() }
            writer.writeThreadName(pid: ChromeProcess.actors, tid: actorTracks[found.slot].tid,
                                   name: actorLabel(actor, name, tables: tables))

        case .actorEnqueued(let actor, let task):
            guard !actor.isNone, !task.isNone else { break }
            _ = actors.enqueue(actorSlot(actor), task: task, at: t)

        case .actorAcquired(let actor, let task, _):
            guard !actor.isNone, !task.isNone else { break }
            let slot = actorSlot(actor)
            if let displaced = actors.endHold(slot, at: t) { actorHoldEnded(displaced, tables: tables) }
            let waited = actors.endWait(of: task, at: t)?.actor == slot
            actors.acquire(slot, task: task, at: t)
            let name = tracker.slot(of: task).map { tracker[$0].name } ?? StringID(0)
            actorTracks[slot].acquired(task, name: name, waited: waited, at: t, writer: &writer)

        case .actorReleased(let actor, let task):
            guard !actor.isNone, !task.isNone else { break }
            let slot = actorSlot(actor)
            if let hold = actors.release(slot, task: task, at: t) { actorHoldEnded(hold, tables: tables) }

        case .taskCPU:
            // Per-job CPU time has no slice of its own; `info` counts these events.
            break

        case .counter(let name, let value):
            guard value.isFinite else {
                skippedCounters += 1
                break
            }
            if !wroteCounterProcess {
                wroteCounterProcess = true
                writer.writeProcessMetadata(pid: ChromeProcess.counters, name: "Counters")
            }
            writer.writeCounter(name: name, value: value, timeNs: t, tables: tables)
        }
        if writer.out.shouldDrain {
            writer.out.drain(into: &output)
            try output.flushIfNeeded()
        }
    }

    private mutating func taskState(_ id: TaskID, _ state: TaskState, thread: ThreadID, waker: TaskID,
                                    stack: StackID, at t: Int64, tables: TraceTables) {
        let slot = taskSlot(id, at: t, tables: tables)
        tracker[slot].extra.prepareChange(at: t, writer: &writer, tables: tables)

        // The thread the task ran on loses it; the thread it runs on now shows it.
        if options.threadTracks {
            let previous = tracker[slot].state
            let previousThread = tracker[slot].stateThread
            if previous == .running, !previousThread.isNone, state != .running || thread != previousThread,
               let found = threadSlots[previousThread.raw], threads[Int(found)].leafID == id.raw {
                let ts = Int(found)
                threads[ts].prepareChange(at: t, writer: &writer, tables: tables)
                threads[ts].leaf = nil
                threads[ts].changed(at: t)
            }
            if state == .running, !thread.isNone {
                let ts = threadSlot(thread)
                threads[ts].prepareChange(at: t, writer: &writer, tables: tables)
                threads[ts].leaf = SliceFrame(kind: .task, id: id.raw, name: tracker[slot].name, stack: StackID(0))
                threads[ts].changed(at: t)
            }
        }
        // Chrome shows states, not their durations: no time to attribute.
        tracker.enter(slot, state, thread: thread, stack: stack, at: t)
        // Only whether a task was queued matters here (hand-offs), not how long.
        _ = actors.stateChanged(id, state, at: t)

        if options.flows, !waker.isNone, waker != id, let wakerSlot = tracker.slot(of: waker) {
            if tracker[slot].extra.pendingFlowEnd != 0 {
                // Woken again before it ran: end the earlier arrow here.
                writer.writeFlowEnd(id: tracker[slot].extra.pendingFlowEnd, track: tracker[slot].extra.fields, timeNs: t)
            }
            let flow = nextFlowID
            nextFlowID += 1
            writer.writeFlowStart(id: flow, track: tracker[wakerSlot].extra.fields, timeNs: t)
            tracker[slot].extra.pendingFlowEnd = flow
        }

        if state == .ended {
            tracker[slot].extra.closeAll(at: t, writer: &writer, tables: tables)
            tracker.remove(slot)
        } else {
            tracker[slot].extra.leaf = SliceFrame.state(state, stack: stack)
            tracker[slot].extra.changed(at: t)
        }
    }

    /// The task's slot; a task never announced by `taskCreated` gets its track named here.
    private mutating func taskSlot(_ id: TaskID, at t: Int64, tables: TraceTables) -> TaskStateTracker<ChromeTrack>.Slot {
        let found = tracker.slotCreatingIfNeeded(id, at: t)
        if found.isNew {
            writeTaskMetadata(id, name: .empty, isNew: true, tables: tables)
            markRequest(id, slot: found.slot, name: StringID(0), at: t, tables: tables)
        }
        return found.slot
    }

    /// Opens the request slice when `id`, just created, is the request's task: the track is new
    /// and empty, so the slice is outermost and lasts until the task ends (or the window does).
    private mutating func markRequest(_ id: TaskID, slot: TaskStateTracker<ChromeTrack>.Slot, name: StringID,
                                      at t: Int64, tables: TraceTables) {
        guard let request, !markedRequest, id == request.task else { return }
        markedRequest = true
        writer.requestSliceName = JSONText.escaped(request.sliceName(taskName: tables.string(name)))
        tracker[slot].extra.regions.insert(SliceFrame(kind: .request, id: id.raw, name: StringID(0), stack: StackID(0)),
                                           at: 0)
        tracker[slot].extra.changed(at: t)
    }

    private mutating func writeTaskMetadata(_ id: TaskID, name: StringID, isNew: Bool, tables: TraceTables) {
        writer.writeTaskName(tid: id.chromeTID, name: name, tables: tables)
        if isNew { writer.writeThreadSortIndex(pid: ChromeProcess.tasks, tid: id.chromeTID) }
    }

    private mutating func threadSlot(_ thread: ThreadID) -> Int {
        if let s = threadSlots[thread.raw] { return Int(s) }
        let s = threads.count
        threads.append(ChromeTrack(pid: ChromeProcess.threads, tid: thread.raw))
        threadSlots.insert(thread.raw, Int32(s))
        writer.writeThreadSortIndex(pid: ChromeProcess.threads, tid: thread.raw)
        return s
    }

    /// The actor's slot; an actor never announced by `actorCreated` gets an unnamed track.
    private mutating func actorSlot(_ actor: ActorID) -> Int {
        let found = actors.slot(of: actor)
        if found.isNew {
            addActorTrack()
            writer.writeThreadName(pid: ChromeProcess.actors, tid: actorTracks[found.slot].tid, name: "actor \(actor)")
        }
        return found.slot
    }

    /// The track of the actor just given the next slot (its tid: the slot + 1).
    private mutating func addActorTrack() {
        if actorTracks.isEmpty { writer.writeProcessMetadata(pid: ChromeProcess.actors, name: "Actors") }
        let tid = UInt64(actorTracks.count + 1)
        actorTracks.append(ChromeActorTrack(tid: tid))
        writer.writeThreadSortIndex(pid: ChromeProcess.actors, tid: tid)
    }

    /// The actor's label, or "actor <id>" when it has none (as in the summary).
    private func actorLabel(_ actor: ActorID, _ name: StringID, tables: TraceTables) -> String {
        let label = tables.string(name)
        return label.isEmpty ? "actor \(actor)" : label
    }

    private mutating func actorHoldEnded(_ hold: ActorStateTracker.HoldEnd, tables: TraceTables) {
        actorTracks[hold.actor].holdEnded(at: hold.endNs, waiting: hold.waiting, flows: options.flows,
                                          nextFlowID: &nextFlowID, writer: &writer, tables: tables)
    }

    /// The bytes still to come if the output were finished now: what is staged, then what
    /// `finish` would write (the ends of open slices, otherData, stackFrames). Measured by
    /// finishing a copy into memory, at a cost that follows the live tracks and the stack frames
    /// (for cutting `--split` parts).
    package func bytesToFinish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?) throws -> Int64 {
        var copy = self
        // The copy gets its own staging storage before writing anything: StagingBuffer copies
        // share one allocation, and this exporter's staged bytes must stay its own.
        copy.writer.out = StagingBuffer()
        var output = OutputBuffer()
        try copy.finish(metadata: metadata, tables: tables, damage: damage, output: &output)
        return Int64(writer.out.count) + output.totalBytes
    }

    public mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                                output: inout OutputBuffer) throws {
        let endNs = max(metadata.endNs, tracker.nowNs)
        for slot in tracker.liveSlotsByTaskID() {
            tracker[slot].extra.closeAll(at: endNs, writer: &writer, tables: tables)
            if writer.out.shouldDrain {
                writer.out.drain(into: &output)
                try output.flushIfNeeded()
            }
        }
        for (_, s) in threadSlots.entries.sorted(by: { $0.key < $1.key }) {
            threads[Int(s)].closeAll(at: endNs, writer: &writer, tables: tables)
        }
        for slot in actorTracks.indices {
            actorTracks[slot].close(at: endNs, nextFlowID: &nextFlowID, writer: &writer, tables: tables)
        }
        if let request, markedRequest, metadata.reachesTraceEnd {
            writer.writeTriggerInstant(task: request.task, timeNs: endNs, name: metadata.trigger)
        }
        writer.out.write("\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"format\":")
        writer.out.writeJSONString(metadata.format)
        writer.out.write(",\"version\":")
        writer.out.writeJSONString(metadata.version)
        writer.out.write(",\"startNs\":")
        writer.out.write(int: metadata.startNs)
        writer.out.write(",\"endNs\":")
        writer.out.write(int: endNs)
        if let traceStartNs = metadata.traceStartNs {
            writer.out.write(",\"traceStartNs\":")
            writer.out.write(int: traceStartNs)
        }
        if !metadata.trigger.isEmpty {
            writer.out.write(",\"trigger\":")
            writer.out.writeJSONString(metadata.trigger)
        }
        for field in metadata.triggerFields {
            writer.out.write(byte: UInt8(ascii: ","))
            writer.out.writeJSONString("trigger." + field.key)
            writer.out.write(byte: UInt8(ascii: ":"))
            writer.out.writeJSONString(field.value)
        }
        if skippedCounters > 0 {
            writer.out.write(",\"skippedNonFiniteCounters\":")
            writer.out.write(int: Int64(skippedCounters))
        }
        if let damage {
            writer.out.write(",\"damage\":")
            writer.out.writeJSONString(damage.description)
        }
        writer.out.write(byte: UInt8(ascii: "}"))
        if options.stackFrames && !writer.stackTree.isEmpty {
            writer.out.write(",\n")
            writer.stackTree.write(tables: tables, to: &writer.out)
        }
        writer.out.write("}\n")
        writer.out.drain(into: &output)
        try output.flushIfNeeded()
    }
}
