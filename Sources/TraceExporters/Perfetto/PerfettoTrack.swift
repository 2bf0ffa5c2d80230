// One Perfetto track (a task's or a thread's) and the slices open on it, kept strictly nested:
// the same stack as ChromeTrack (request slice, regions outermost first, one leaf: the task's
// state, or the task running on the thread), written as TrackEvent slice begins and ends.
//
// Invariants:
// - Changes go to the wanted stack (`regions` + `leaf`) and are written by `sync`: the ends of
//   what no longer matches (innermost first), then the begins, all at `pendingNs`. The exporter
//   syncs every changed track as soon as time moves past `pendingNs`, so packets come out in
//   time order across tracks, ends before begins at one instant, and a stack that changes
//   several times at one instant writes only its final shape (no zero-length slices).
// - Wake-up arrows end here: `pendingFlowEnd` ends on the next running slice's begin; an arrow
//   that cannot end there (the task was woken again first, it was already running, or it ends)
//   rides `flowEnds` on the next event written on the track, and `closeAll` ends any left on
//   an instant, so every arrow started is ended.

import TraceModel

struct PerfettoTrack: LiveTaskPayload {
    /// Given by the exporter when the track is described (0 until then).
    var uuid: UInt64 = 0
    private(set) var emitted: [SliceFrame] = []
    var regions: [SliceFrame] = []
    var leaf: SliceFrame?
    private(set) var pendingNs: Int64 = 0
    private(set) var dirty = false
    /// A wake-up arrow that ends on this track's next running slice.
    var pendingFlowEnd: UInt64 = 0
    /// Arrows that end on the next event written on this track.
    var flowEnds: [UInt64] = []

    init(task: TaskID) {}

    init(uuid: UInt64) {
        self.uuid = uuid
    }

    mutating func reuse(for task: TaskID) {
        uuid = 0
        // (Guarded: removeAll(keepingCapacity:) on an empty array still replaces its buffer.)
        if !emitted.isEmpty { emitted.removeAll(keepingCapacity: true) }
        if !regions.isEmpty { regions.removeAll(keepingCapacity: true) }
        if !flowEnds.isEmpty { flowEnds.removeAll(keepingCapacity: true) }
        leaf = nil
        pendingNs = 0
        dirty = false
        pendingFlowEnd = 0
    }

    var leafID: UInt64? { leaf?.id }

    /// Records that the wanted stack changed at `timeNs`; true when the track was clean until
    /// now (the caller queues it for the next sync).
    @inline(__always)
    mutating func changed(at timeNs: Int64) -> Bool {
        let wasClean = !dirty
        pendingNs = timeNs
        dirty = true
        return wasClean
    }

    /// Removes the innermost region of that name and every region inside it.
    mutating func closeRegion(named name: StringID) -> Bool {
        guard let i = regions.lastIndex(where: { $0.kind == .region && $0.name == name }) else { return false }
        regions.removeSubrange(i...)
        return true
    }

    @inline(__always)
    private func wanted(_ i: Int) -> SliceFrame {
        i < regions.count ? regions[i] : leaf!
    }

    mutating func sync(writer: inout PerfettoPacketWriter, names: inout PerfettoSliceNames, tables: TraceTables) {
        guard dirty else { return }
        dirty = false
        let wantedCount = regions.count + (leaf == nil ? 0 : 1)
        var common = 0
        while common < emitted.count && common < wantedCount && emitted[common] == wanted(common) {
            common += 1
        }
        while emitted.count > common {
            writer.sliceEnd(track: uuid, at: pendingNs, terminating: flowEnds)
            if !flowEnds.isEmpty { flowEnds.removeAll(keepingCapacity: true) }
            emitted.removeLast()
        }
        if wantedCount > common {
            for i in common..<wantedCount {
                let frame = wanted(i)
                if pendingFlowEnd != 0 && i == wantedCount - 1 && frame.isRunningState && leaf != nil {
                    flowEnds.append(pendingFlowEnd)
                    pendingFlowEnd = 0
                }
                names.writeBegin(frame, track: uuid, at: pendingNs, terminating: flowEnds, writer: &writer, tables: tables)
                if !flowEnds.isEmpty { flowEnds.removeAll(keepingCapacity: true) }
                emitted.append(frame)
            }
        }
        if pendingFlowEnd != 0, let leaf, leaf.isRunningState {
            // Already running: the arrow ends on this running slice, at its end.
            flowEnds.append(pendingFlowEnd)
            pendingFlowEnd = 0
        }
    }

    /// Ends everything on the track at `timeNs` (task end, or the window end).
    mutating func closeAll(at timeNs: Int64, writer: inout PerfettoPacketWriter, names: inout PerfettoSliceNames,
                           tables: TraceTables) {
        if dirty && pendingNs < timeNs { sync(writer: &writer, names: &names, tables: tables) }
        let endNs = dirty ? max(timeNs, pendingNs) : timeNs
        if pendingFlowEnd != 0 {
            flowEnds.append(pendingFlowEnd)
            pendingFlowEnd = 0
        }
        if !regions.isEmpty { regions.removeAll(keepingCapacity: true) }
        leaf = nil
        _ = changed(at: endNs)
        sync(writer: &writer, names: &names, tables: tables)
        if !flowEnds.isEmpty {
            // Nothing was open to end them on.
            writer.instant(track: uuid, at: endNs, name: PerfettoPacketWriter.FixedName.wake.rawValue,
                           category: PerfettoPacketWriter.Category.wake.rawValue, terminating: flowEnds)
            flowEnds.removeAll(keepingCapacity: true)
        }
    }
}

/// How slices are named: the state names, regions, tasks on thread tracks, and the slow
/// request (its name is set once the request's task is known).
struct PerfettoSliceNames {
    var requestIID: UInt64 = 0
    /// State and region slices carry the stack of the event that began them (chrome's `sf`).
    var stacks = true

    @inline(__always)
    mutating func writeBegin(_ frame: SliceFrame, track: UInt64, at timeNs: Int64, terminating: [UInt64],
                             writer: inout PerfettoPacketWriter, tables: TraceTables) {
        typealias Name = PerfettoPacketWriter.FixedName
        // Interned before the begin's packet opens, so the stack's entries ride in that packet.
        let callstack = stacks && !frame.stack.isNone ? writer.callstackIID(frame.stack, tables: tables) : 0
        switch frame.kind {
        case .state:
            let name: UInt64
            switch frame.id {
            case 0: name = Name.running.rawValue
            case 1: name = Name.runnable.rawValue
            case 2: name = writer.blockedIID(frame.name, tables: tables)
            case 3: name = Name.syscall.rawValue
            default: name = Name.ended.rawValue
            }
            writer.sliceBegin(track: track, at: timeNs, name: name, callstack: callstack, terminating: terminating)
        case .region:
            writer.sliceBegin(track: track, at: timeNs, name: writer.nameIID(frame.name, tables: tables),
                              callstack: callstack, terminating: terminating)
        case .task:
            let name = frame.name.isEmpty ? Name.task.rawValue : writer.nameIID(frame.name, tables: tables)
            writer.sliceBegin(track: track, at: timeNs, name: name, task: frame.id, terminating: terminating)
        case .request:
            writer.sliceBegin(track: track, at: timeNs, name: requestIID,
                              category: PerfettoPacketWriter.Category.request.rawValue, task: frame.id,
                              terminating: terminating)
        }
    }
}
