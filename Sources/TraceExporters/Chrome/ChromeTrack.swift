// One Chrome track (pid + tid) and the slices open on it, kept strictly nested.
//
// Invariants:
// - A track is a stack: on the slow request's task track a request slice (outermost, from the
//   task's creation to its end), then regions (outermost first) with at most one leaf on top: on a task's
//   track the leaf is its state (running, runnable, blocked: <reason>, syscall); on a thread's
//   track it is the task running there. A state slice is therefore always inside the innermost
//   open region: when a region opens or closes, the leaf is ended and begun again around it.
// - Changes are applied to the wanted stack (`regions` + `leaf`) and written lazily: `sync`
//   compares the wanted stack with what was written (`emitted`) and writes the ends (innermost
//   first) then the begins, all at `pendingNs`. A track is synced before any change at a later
//   time, so per track the output is ordered by time, ends come before begins at equal times,
//   and slices that would last zero nanoseconds are never written.

import TraceModel

struct SliceFrame: Equatable {
    enum Kind: UInt8 {
        case region
        case state
        case task
        /// The slow request's slice, outermost on its task's track (ChromeEventWriter names it).
        case request
    }
    var kind: Kind
    /// Region: its serial; state: `stateCode`; task (on a thread track) and request: the task id.
    var id: UInt64
    /// Region name, blocked reason, or task name.
    var name: StringID
    var stack: StackID

    /// (`StringID(0)` rather than `.empty` here and in the exporters' other per-event paths:
    /// TraceModel's statics are lazily initialized globals, read through a call.)
    static func state(_ state: TaskState, stack: StackID) -> SliceFrame {
        switch state {
        case .running: SliceFrame(kind: .state, id: 0, name: StringID(0), stack: stack)
        case .runnable: SliceFrame(kind: .state, id: 1, name: StringID(0), stack: stack)
        case .blocked(let reason): SliceFrame(kind: .state, id: 2, name: reason, stack: stack)
        case .syscall: SliceFrame(kind: .state, id: 3, name: StringID(0), stack: stack)
        case .ended: SliceFrame(kind: .state, id: 4, name: StringID(0), stack: stack)
        }
    }

    var isRunningState: Bool { kind == .state && id == 0 }
}

struct ChromeTrack: LiveTaskPayload {
    let pid: UInt8
    private(set) var tid: UInt64
    /// `,"pid":P,"tid":T,"ts":` for this track's events.
    private(set) var fields: InlineBytes
    private(set) var emitted: [SliceFrame] = []
    var regions: [SliceFrame] = []
    var leaf: SliceFrame?
    private(set) var pendingNs: Int64 = 0
    private(set) var dirty = false
    /// A flow arrow that ends on this track once its running slice is written.
    var pendingFlowEnd: UInt64 = 0

    init(pid: UInt8, tid: UInt64) {
        self.pid = pid
        self.tid = tid
        self.fields = ChromeEventWriter.trackFields(pid: pid, tid: tid)
    }

    /// A task's track.
    init(task: TaskID) {
        self.init(pid: ChromeProcess.tasks, tid: task.chromeTID)
    }

    /// The track of an ended task becomes the (empty) track of `task`, keeping its storage.
    mutating func reuse(for task: TaskID) {
        tid = task.chromeTID
        fields = ChromeEventWriter.trackFields(pid: pid, tid: tid)
        // (Guarded: removeAll(keepingCapacity:) on an empty array still replaces its buffer.)
        if !emitted.isEmpty { emitted.removeAll(keepingCapacity: true) }
        if !regions.isEmpty { regions.removeAll(keepingCapacity: true) }
        leaf = nil
        pendingNs = 0
        dirty = false
        pendingFlowEnd = 0
    }

    /// The id of the leaf (the task shown on a thread's track), or nil without a leaf. Read
    /// through this rather than `leaf?.id` on an array element, which copies the whole track.
    var leafID: UInt64? { leaf?.id }

    /// Writes earlier pending changes before a change at `timeNs`.
    @inline(__always)
    mutating func prepareChange(at timeNs: Int64, writer: inout ChromeEventWriter, tables: TraceTables) {
        if dirty && pendingNs < timeNs { sync(writer: &writer, tables: tables) }
    }

    /// Records that the wanted stack changed at `timeNs` (call `prepareChange` first).
    @inline(__always)
    mutating func changed(at timeNs: Int64) {
        pendingNs = timeNs
        dirty = true
    }

    /// Removes the innermost region of that name and every region inside it (a request slice is
    /// no region: it ends with its task).
    mutating func closeRegion(named name: StringID) -> Bool {
        guard let i = regions.lastIndex(where: { $0.kind == .region && $0.name == name }) else { return false }
        regions.removeSubrange(i...)
        return true
    }

    @inline(__always)
    private func wanted(_ i: Int) -> SliceFrame {
        i < regions.count ? regions[i] : leaf!
    }

    mutating func sync(writer: inout ChromeEventWriter, tables: TraceTables) {
        guard dirty else { return }
        dirty = false
        let wantedCount = regions.count + (leaf == nil ? 0 : 1)
        var common = 0
        while common < emitted.count && common < wantedCount && emitted[common] == wanted(common) {
            common += 1
        }
        while emitted.count > common {
            writer.writeEnd(track: fields, timeNs: pendingNs)
            emitted.removeLast()
        }
        if wantedCount > common {
            for i in common..<wantedCount {
                let frame = wanted(i)
                writer.writeBegin(track: fields, timeNs: pendingNs, frame: frame, tables: tables)
                emitted.append(frame)
            }
        }
        if pendingFlowEnd != 0, let leaf, leaf.isRunningState {
            writer.writeFlowEnd(id: pendingFlowEnd, track: fields, timeNs: pendingNs)
            pendingFlowEnd = 0
        }
    }

    /// Ends everything on the track at `timeNs` (task end, or the window end).
    mutating func closeAll(at timeNs: Int64, writer: inout ChromeEventWriter, tables: TraceTables) {
        prepareChange(at: timeNs, writer: &writer, tables: tables)
        let endNs = dirty ? max(timeNs, pendingNs) : timeNs
        if pendingFlowEnd != 0 {
            // The woken task never ran again: end the arrow on what is open until now.
            writer.writeFlowEnd(id: pendingFlowEnd, track: fields, timeNs: endNs)
            pendingFlowEnd = 0
        }
        if !regions.isEmpty { regions.removeAll(keepingCapacity: true) }
        leaf = nil
        changed(at: endNs)
        sync(writer: &writer, tables: tables)
    }
}

extension TaskID {
    /// The task's `tid` in Chrome JSON: its id when below 2^50; else the two top bits (the
    /// model's id spaces: 1 << 62 logical Swift tasks and Go's goroutine 0, 1 << 63 Go user
    /// tasks) moved down to bits 50-51 above the low 50 bits. JavaScript viewers read JSON
    /// numbers as doubles, exact only below 2^53: ids such as 2^62 + 1 and 2^62 + 2 would
    /// land on one track there.
    var chromeTID: UInt64 {
        let low = raw & ((1 << 50) - 1)
        return raw == low ? raw : low | ((raw >> 62) << 50)
    }
}
