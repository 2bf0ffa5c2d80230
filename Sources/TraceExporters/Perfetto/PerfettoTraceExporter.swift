// Perfetto's native trace format: a `Trace` protobuf of TracePackets (TrackDescriptor and
// TrackEvent) for ui.perfetto.dev and trace_processor, with the content of the Chrome export
// at a fraction of its size.
//
// Layout of the output (ChromeTraceExporter's, as Perfetto tracks):
// - group tracks "Tasks", "Threads", "Counters" (once a counter appears) and "Actors" (once an
//   actor appears), in that order;
// - under "Tasks" one track per task (named by the task, else "task <id>", ordered by id) with
//   its state slices (running, runnable, blocked: <reason>, syscall) inside its region slices,
//   each with the stack of the event that began it where the trace has one (interned callstacks:
//   the slice's "Callstack" in the UI, chrome's `sf`);
// - under "Threads" one track per thread ("thread <id>" until its name is known) with a slice
//   per task that ran there (argument `task`) inside the regions opened on the thread alone;
// - under "Counters" one counter track per counter name;
// - under "Actors" one track per actor (by label) with a slice per hold named by the holding
//   task, and hand-off arrows between holds (PerfettoActorTrack);
// - wake-up arrows from an instant "wake" (category "wake") on the waker's track to the woken
//   task's next running slice (PerfettoTrack); logs as instants named by their category with
//   the text as argument `message`;
// - when the trigger names a task in the trace (RequestTrigger), a slice "slow request <name>
//   <duration>" (category "request", argument `task`) around everything on its track, and an
//   instant (category "request") named by the trigger at the window end;
// - the trace's metadata (chrome's `otherData`) as TraceAttributes, last.
//
// Invariants:
// - Streaming: packets are written as events arrive and drained in bounded chunks; live tasks,
//   threads, actors and open slices are the only state, never the event list.
// - Packets are in non-decreasing time order: when time moves on, every track changed at the
//   previous instant is synced first (`flushChanges`), then the new event is handled.
// - Every track is described before its first event; every slice on a track nests; every
//   slice still open at the window end is closed at `metadata.endNs`.

import TraceModel

public struct PerfettoTraceExporter: TraceExporter {
    public var options: PerfettoOptions
    private var writer = PerfettoPacketWriter(startNs: 0)
    private var names = PerfettoSliceNames()
    private var tracker = TaskStateTracker<PerfettoTrack>(startNs: 0)
    private var threadSlots = IDMap<Int32>()
    private var threads: [PerfettoTrack] = []
    private var actors = ActorStateTracker()
    private var actorTracks: [PerfettoActorTrack] = []
    /// Counter track uuid per counter-name StringID raw value (0: not described yet).
    private var counterTracks: [UInt64] = []
    private var nextFlowID: UInt64 = 1
    /// Tracks changed at `changesNs` and not synced yet (`TrackRef` encoded).
    private var changedTracks: [Int] = []
    private var changesNs: Int64 = 0
    private var request: RequestTrigger?
    private var requestTrack: UInt64 = 0
    private var skippedCounters = 0

    private var tasksGroup: UInt64 = 0
    private var threadsGroup: UInt64 = 0
    private var countersGroup: UInt64 = 0
    private var actorsGroup: UInt64 = 0

    /// A track in `changedTracks`: the kind in the low two bits, the slot or index above.
    private enum TrackRef {
        static let task = 0, thread = 1, actor = 2
    }

    public init(options: PerfettoOptions = PerfettoOptions()) {
        self.options = options
    }

    public mutating func begin(metadata: TraceMetadata, tables: TraceTables, output: inout OutputBuffer) throws {
        tracker = TaskStateTracker(startNs: metadata.startNs)
        // The whole trace's time axis, so a window lines up with the full trace.
        writer = PerfettoPacketWriter(startNs: metadata.originNs,
                                      compressor: options.compressed ? PerfettoPacketCompressor() : nil)
        names = PerfettoSliceNames()
        names.stacks = options.stacks
        request = RequestTrigger(metadata)
        changesNs = metadata.startNs
        writer.writeFirstPacket()
        tasksGroup = writer.newTrackUUID()
        writer.describeGroup(uuid: tasksGroup, name: "Tasks", rank: 1, at: metadata.startNs)
        if options.threadTracks {
            threadsGroup = writer.newTrackUUID()
            writer.describeGroup(uuid: threadsGroup, name: "Threads", rank: 2, at: metadata.startNs)
        }
    }

    public mutating func consume(_ event: TraceEvent, tables: TraceTables, output: inout OutputBuffer) throws {
        let t = tracker.clamp(event.timeNs)
        if t > changesNs {
            if !changedTracks.isEmpty { flushChanges(tables: tables) }
            changesNs = t
        }
        switch event.kind {
        case .threadName(let thread, let name):
            guard options.threadTracks, !thread.isNone else { break }
            if let found = threadSlots[thread.raw] {
                describeThread(thread, uuid: threads[Int(found)].uuid, name: tables.string(name), at: t)
            } else {
                _ = threadSlot(thread, named: tables.string(name), at: t)
            }

        case .taskCreated(let id, let parent, let name, let group, _):
            guard !id.isNone else { break }
            let created = tracker.create(id, parent: parent, name: name, group: group, at: t)
            if created.isNew { tracker[created.slot].extra.uuid = writer.newTrackUUID() }
            describeTask(created.slot, at: t, tables: tables)
            if created.isNew { markRequest(id, slot: created.slot, name: name, at: t, tables: tables) }
            if created.isNew, id.isGoUserTask {
                // A Go user task has no states: a slice named by it spans its life on its track.
                tracker[created.slot].extra.regions.append(SliceFrame(kind: .region, id: tracker.takeSerial(),
                                                                      name: name, stack: StackID(0)))
                changed(task: created.slot, at: t)
            }

        case .taskState(let id, let state, let thread, let waker, let stack):
            guard !id.isNone else { break }
            taskState(id, state, thread: thread, waker: waker, stack: stack, at: t, tables: tables)

        case .regionBegin(let task, let thread, let name, let stack):
            let frame = SliceFrame(kind: .region, id: tracker.takeSerial(), name: name, stack: stack)
            if !task.isNone {
                let slot = taskSlot(task, at: t, tables: tables)
                tracker[slot].extra.regions.append(frame)
                changed(task: slot, at: t)
            } else if options.threadTracks && !thread.isNone {
                let ts = threadSlot(thread, at: t)
                threads[ts].regions.append(frame)
                changed(thread: ts, at: t)
            }

        case .regionEnd(let task, let thread, let name):
            if !task.isNone {
                guard let slot = tracker.slot(of: task) else { break }
                if tracker[slot].extra.closeRegion(named: name) { changed(task: slot, at: t) }
            } else if options.threadTracks && !thread.isNone {
                guard let found = threadSlots[thread.raw] else { break }
                if threads[Int(found)].closeRegion(named: name) { changed(thread: Int(found), at: t) }
            }

        case .log(let task, let thread, let category, let message):
            let track: UInt64
            if !task.isNone {
                track = tracker[taskSlot(task, at: t, tables: tables)].extra.uuid
            } else if options.threadTracks && !thread.isNone {
                track = threads[threadSlot(thread, at: t)].uuid
            } else {
                break
            }
            let name = category.isEmpty ? PerfettoPacketWriter.FixedName.log.rawValue
                                        : writer.nameIID(category, tables: tables)
            writer.instant(track: track, at: t, name: name, message: message)

        case .actorCreated(let actor, let name):
            guard !actor.isNone else { break }
            let found = actors.create(actor, name: name)
            if found.isNew { addActorTrack(at: t) }
            let label = tables.string(name)
            writer.describeTrack(uuid: actorTracks[found.slot].uuid, parent: actorsGroup, name: label,
                                 fallback: "actor", id: actor.raw, rank: UInt64(found.slot + 1), at: t)

        case .actorEnqueued(let actor, let task):
            guard !actor.isNone, !task.isNone else { break }
            _ = actors.enqueue(actorSlot(actor, at: t), task: task, at: t)

        case .actorAcquired(let actor, let task, _):
            guard !actor.isNone, !task.isNone else { break }
            let slot = actorSlot(actor, at: t)
            if let displaced = actors.endHold(slot, at: t) { actorHoldEnded(displaced) }
            let waited = actors.endWait(of: task, at: t)?.actor == slot
            actors.acquire(slot, task: task, at: t)
            let name = tracker.slot(of: task).map { tracker[$0].name } ?? StringID(0)
            if actorTracks[slot].acquired(task, name: name, waited: waited, at: t) {
                changedTracks.append(slot << 2 | TrackRef.actor)
            }

        case .actorReleased(let actor, let task):
            guard !actor.isNone, !task.isNone else { break }
            let slot = actorSlot(actor, at: t)
            if let hold = actors.release(slot, task: task, at: t) { actorHoldEnded(hold) }

        case .taskCPU:
            // Per-job CPU time has no slice of its own (as in the Chrome output).
            break

        case .counter(let name, let value):
            guard value.isFinite else {
                skippedCounters += 1
                break
            }
            writer.counter(track: counterTrack(name, at: t, tables: tables), at: t, value: value)
        }
        if writer.out.shouldDrain { try writer.drain(into: &output) }
    }

    private mutating func taskState(_ id: TaskID, _ state: TaskState, thread: ThreadID, waker: TaskID,
                                    stack: StackID, at t: Int64, tables: TraceTables) {
        let slot = taskSlot(id, at: t, tables: tables)

        // The thread the task ran on loses it; the thread it runs on now shows it.
        if options.threadTracks {
            let previous = tracker[slot].state
            let previousThread = tracker[slot].stateThread
            if previous == .running, !previousThread.isNone, state != .running || thread != previousThread,
               let found = threadSlots[previousThread.raw], threads[Int(found)].leafID == id.raw {
                threads[Int(found)].leaf = nil
                changed(thread: Int(found), at: t)
            }
            if state == .running, !thread.isNone {
                let ts = threadSlot(thread, at: t)
                threads[ts].leaf = SliceFrame(kind: .task, id: id.raw, name: tracker[slot].name, stack: StackID(0))
                changed(thread: ts, at: t)
            }
        }
        tracker.enter(slot, state, thread: thread, stack: stack, at: t)
        _ = actors.stateChanged(id, state, at: t)

        if options.flows, !waker.isNone, waker != id, let wakerSlot = tracker.slot(of: waker) {
            if tracker[slot].extra.pendingFlowEnd != 0 {
                // Woken again before it ran: the earlier arrow ends here.
                tracker[slot].extra.flowEnds.append(tracker[slot].extra.pendingFlowEnd)
            }
            let flow = nextFlowID
            nextFlowID += 1
            writer.instant(track: tracker[wakerSlot].extra.uuid, at: t,
                           name: PerfettoPacketWriter.FixedName.wake.rawValue,
                           category: PerfettoPacketWriter.Category.wake.rawValue, flow: flow)
            tracker[slot].extra.pendingFlowEnd = flow
        }

        if state == .ended {
            tracker[slot].extra.closeAll(at: t, writer: &writer, names: &names, tables: tables)
            tracker.remove(slot)
        } else {
            tracker[slot].extra.leaf = SliceFrame.state(state, stack: stack)
            changed(task: slot, at: t)
        }
    }

    @inline(__always)
    private mutating func changed(task slot: Int, at t: Int64) {
        if tracker[slot].extra.changed(at: t) { changedTracks.append(slot << 2 | TrackRef.task) }
    }

    @inline(__always)
    private mutating func changed(thread index: Int, at t: Int64) {
        if threads[index].changed(at: t) { changedTracks.append(index << 2 | TrackRef.thread) }
    }

    /// Syncs every track changed at `changesNs`, in the order they changed.
    private mutating func flushChanges(tables: TraceTables) {
        for ref in changedTracks {
            let index = ref >> 2
            switch ref & 3 {
            case TrackRef.task: tracker[index].extra.sync(writer: &writer, names: &names, tables: tables)
            case TrackRef.thread: threads[index].sync(writer: &writer, names: &names, tables: tables)
            default: actorTracks[index].sync(writer: &writer, tables: tables)
            }
        }
        changedTracks.removeAll(keepingCapacity: true)
    }

    /// The task's slot; a task never announced by `taskCreated` gets its track described here.
    private mutating func taskSlot(_ id: TaskID, at t: Int64, tables: TraceTables) -> TaskStateTracker<PerfettoTrack>.Slot {
        let found = tracker.slotCreatingIfNeeded(id, at: t)
        if found.isNew {
            tracker[found.slot].extra.uuid = writer.newTrackUUID()
            describeTask(found.slot, at: t, tables: tables)
            markRequest(id, slot: found.slot, name: StringID(0), at: t, tables: tables)
        }
        return found.slot
    }

    private mutating func describeTask(_ slot: Int, at t: Int64, tables: TraceTables) {
        let id = tracker[slot].id
        writer.describeTrack(uuid: tracker[slot].extra.uuid, parent: tasksGroup, name: tables.string(tracker[slot].name),
                             fallback: "task", id: id.raw, rank: id.raw, at: t)
    }

    /// Opens the request slice when `id`, just created, is the request's task.
    private mutating func markRequest(_ id: TaskID, slot: Int, name: StringID, at t: Int64, tables: TraceTables) {
        guard let request, requestTrack == 0, id == request.task else { return }
        requestTrack = tracker[slot].extra.uuid
        names.requestIID = writer.intern(request.sliceName(taskName: tables.string(name)))
        tracker[slot].extra.regions.insert(SliceFrame(kind: .request, id: id.raw, name: StringID(0), stack: StackID(0)),
                                           at: 0)
        changed(task: slot, at: t)
    }

    /// The thread's slot; a thread seen for the first time gets its track described, named
    /// `name` or "thread <id>".
    private mutating func threadSlot(_ thread: ThreadID, named name: String = "", at t: Int64) -> Int {
        if let s = threadSlots[thread.raw] { return Int(s) }
        let s = threads.count
        threads.append(PerfettoTrack(uuid: writer.newTrackUUID()))
        threadSlots.insert(thread.raw, Int32(s))
        describeThread(thread, uuid: threads[s].uuid, name: name, at: t)
        return s
    }

    private mutating func describeThread(_ thread: ThreadID, uuid: UInt64, name: String, at t: Int64) {
        writer.describeTrack(uuid: uuid, parent: threadsGroup, name: name, fallback: "thread", id: thread.raw,
                             rank: thread.raw, at: t)
    }

    private mutating func counterTrack(_ name: StringID, at t: Int64, tables: TraceTables) -> UInt64 {
        let i = Int(name.raw)
        if i < counterTracks.count, counterTracks[i] != 0 { return counterTracks[i] }
        if i >= counterTracks.count { counterTracks.append(contentsOf: repeatElement(0, count: i + 1 - counterTracks.count)) }
        if countersGroup == 0 {
            countersGroup = writer.newTrackUUID()
            writer.describeGroup(uuid: countersGroup, name: "Counters", rank: 3, at: t)
        }
        let uuid = writer.newTrackUUID()
        counterTracks[i] = uuid
        let text = tables.string(name)
        writer.describeTrack(uuid: uuid, parent: countersGroup, name: text.isEmpty ? "counter" : text, fallback: "counter",
                             id: UInt64(name.raw), rank: uuid, counter: true, at: t)
        return uuid
    }

    /// The actor's slot; an actor never announced by `actorCreated` gets an unnamed track.
    private mutating func actorSlot(_ actor: ActorID, at t: Int64) -> Int {
        let found = actors.slot(of: actor)
        if found.isNew {
            addActorTrack(at: t)
            writer.describeTrack(uuid: actorTracks[found.slot].uuid, parent: actorsGroup, name: "", fallback: "actor",
                                 id: actor.raw, rank: UInt64(found.slot + 1), at: t)
        }
        return found.slot
    }

    private mutating func addActorTrack(at t: Int64) {
        if actorsGroup == 0 {
            actorsGroup = writer.newTrackUUID()
            writer.describeGroup(uuid: actorsGroup, name: "Actors", rank: 4, at: t)
        }
        actorTracks.append(PerfettoActorTrack(uuid: writer.newTrackUUID()))
    }

    private mutating func actorHoldEnded(_ hold: ActorStateTracker.HoldEnd) {
        actorTracks[hold.actor].holdEnded(at: hold.endNs, waiting: hold.waiting, flows: options.flows,
                                          nextFlowID: &nextFlowID, writer: &writer)
    }

    public mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                                output: inout OutputBuffer) throws {
        flushChanges(tables: tables)
        let endNs = max(metadata.endNs, tracker.nowNs)
        for slot in tracker.liveSlotsByTaskID() {
            tracker[slot].extra.closeAll(at: endNs, writer: &writer, names: &names, tables: tables)
            if writer.out.shouldDrain { try writer.drain(into: &output) }
        }
        for (_, s) in threadSlots.entries.sorted(by: { $0.key < $1.key }) {
            threads[Int(s)].closeAll(at: endNs, writer: &writer, names: &names, tables: tables)
        }
        for slot in actorTracks.indices {
            actorTracks[slot].close(at: endNs, nextFlowID: &nextFlowID, writer: &writer, tables: tables)
        }
        if requestTrack != 0, metadata.reachesTraceEnd {
            let name = writer.intern(metadata.trigger.isEmpty ? "trigger" : metadata.trigger)
            writer.instant(track: requestTrack, at: endNs, name: name,
                           category: PerfettoPacketWriter.Category.request.rawValue)
        }
        writer.writeAttributes(attributes(metadata, endNs: endNs, damage: damage))
        try writer.complete(into: &output)
    }

    /// What chrome writes as `otherData`, under the same keys.
    private func attributes(_ metadata: TraceMetadata, endNs: Int64,
                            damage: TraceDamage?) -> [(key: String, value: TraceAttributeValue)] {
        var list: [(key: String, value: TraceAttributeValue)] = [
            ("format", .string(metadata.format)), ("version", .string(metadata.version)),
            ("startNs", .int(metadata.startNs)), ("endNs", .int(endNs)),
        ]
        if let traceStartNs = metadata.traceStartNs { list.append(("traceStartNs", .int(traceStartNs))) }
        if !metadata.trigger.isEmpty { list.append(("trigger", .string(metadata.trigger))) }
        for field in metadata.triggerFields { list.append(("trigger." + field.key, .string(field.value))) }
        if skippedCounters > 0 { list.append(("skippedNonFiniteCounters", .int(Int64(skippedCounters)))) }
        if let damage { list.append(("damage", .string(damage.description))) }
        return list
    }
}
