// Hand-built traces for rules that real traces exercise only by chance: Go's timestamp fix-up
// when the sequence order contradicts timestamps, and arithmetic on absurd timestamps.

import Testing
import TraceModel
@testable import TraceReaders

/// A minimal wire writer for tests: header, batches of raw events, uvarints.
struct GoWireWriter {
    var bytes: [UInt8]
    init(version: Int) { bytes = Array("go 1.\(version) trace\0\0\0".utf8) }

    static func uvarint(_ v: UInt64) -> [UInt8] {
        var v = v
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    /// One event: type byte then uvarint arguments.
    static func event(_ type: UInt8, _ args: UInt64...) -> [UInt8] {
        [type] + args.flatMap { uvarint($0) }
    }

    mutating func batch(gen: UInt64, m: UInt64, time: UInt64, _ events: [UInt8]...) {
        let data = events.flatMap { $0 }
        bytes += [GoEv.eventBatch] + Self.uvarint(gen) + Self.uvarint(m) + Self.uvarint(time)
            + Self.uvarint(UInt64(data.count)) + data
    }

    /// Frequency (1 tick = 1 ns), empty string and stack tables: what a 1.22 generation needs.
    mutating func tables122(gen: UInt64) {
        batch(gen: gen, m: .max, time: 0, Self.event(GoEv.frequency, 1_000_000_000))
        batch(gen: gen, m: .max, time: 0, [GoEv.stacks])
        batch(gen: gen, m: .max, time: 0, [GoEv.strings])
    }
}

@Suite("Go reader on hand-built traces")
struct GoSyntheticTests {
    @Test("an event the sequence order puts after a later-stamped one is moved to 1 ns after it, as Go's reader does")
    func timestampFixUp() throws {
        var w = GoWireWriter(version: 22)
        w.tables122(gen: 1)
        // M0: P0 running, G1 running, then G1 blocks at t=100.
        w.batch(gen: 1, m: 0, time: 0,
                GoWireWriter.event(GoEv.procStatus, 10, 0, 1),
                GoWireWriter.event(GoEv.goStatus, 1, 1, 0, 2),
                GoWireWriter.event(GoEv.goBlock, 89, 0, 0))
        // M1: P1 running, and it unblocks G1 "at t=50": only possible after the block.
        w.batch(gen: 1, m: 1, time: 0,
                GoWireWriter.event(GoEv.procStatus, 5, 1, 1),
                GoWireWriter.event(GoEv.goUnblock, 45, 1, 1, 0))
        var reader = try GoTraceReader(bytes: w.bytes, name: "fixup.trace")
        let d = try drain(&reader)
        #expect(d.damage == nil, "\(d.damage?.description ?? "")")
        let g1 = d.events.compactMap { e -> String? in
            guard case .taskState(let t, let s, _, let waker, _) = e.kind, t == TaskID(1) else { return nil }
            switch s {
            case .running: return "\(e.timeNs) running"
            case .blocked: return "\(e.timeNs) blocked"
            case .runnable: return "\(e.timeNs) runnable by \(waker)"
            default: return "\(e.timeNs) other"
            }
        }
        #expect(d.metadata.startNs == 1)
        #expect(g1 == ["1 running", "100 blocked", "101 runnable by 0"])
        #expect(d.metadata.endNs == 102)
    }

    @Test("absurd timestamps and deltas neither trap nor make time go backwards")
    func absurdTimestamps() throws {
        var w = GoWireWriter(version: 22)
        w.tables122(gen: 1)
        w.batch(gen: 1, m: 7, time: .max,
                GoWireWriter.event(GoEv.procStatus, .max, 0, 1),
                GoWireWriter.event(GoEv.goStatus, .max, 1, 7, 2),
                GoWireWriter.event(GoEv.goBlock, .max, 0, 0))
        var reader = try GoTraceReader(bytes: w.bytes, name: "huge.trace")
        let d = try drain(&reader)
        var last = Int64.min
        for e in d.events {
            #expect(e.timeNs >= last)
            last = e.timeNs
        }
        #expect(d.damage == nil)
    }

    @Test("a goroutine blocked before the window gets the 'unknown (before window)' reason and its status stack's root as group")
    func blockedBeforeWindow() throws {
        var w = GoWireWriter(version: 23)
        w.batch(gen: 5, m: .max, time: 0, GoWireWriter.event(GoEv.frequency, 1_000_000_000))
        // Strings 1 = "main.worker", 2 = "runtime.gopark"; stack 1 = [gopark (leaf), worker].
        w.batch(gen: 5, m: .max, time: 0,
                [GoEv.strings] + [GoEv.string] + GoWireWriter.uvarint(1) + GoWireWriter.uvarint(11) + Array("main.worker".utf8)
                    + [GoEv.string] + GoWireWriter.uvarint(2) + GoWireWriter.uvarint(14) + Array("runtime.gopark".utf8))
        w.batch(gen: 5, m: .max, time: 0,
                [GoEv.stacks] + [GoEv.stack] + GoWireWriter.uvarint(1) + GoWireWriter.uvarint(2)
                    + GoWireWriter.uvarint(0x10) + GoWireWriter.uvarint(2) + GoWireWriter.uvarint(0) + GoWireWriter.uvarint(1)
                    + GoWireWriter.uvarint(0x20) + GoWireWriter.uvarint(1) + GoWireWriter.uvarint(0) + GoWireWriter.uvarint(9))
        w.batch(gen: 5, m: .max, time: 0, GoWireWriter.event(GoEv.goStatusStack, 3, 9, .max, 4, 1))
        var reader = try GoTraceReader(bytes: w.bytes, name: "window.trace")
        let d = try drain(&reader)
        #expect(d.damage == nil, "\(d.damage?.description ?? "")")
        let created = d.events.compactMap { e -> (String, [String])? in
            guard case .taskCreated(TaskID(9), _, _, let group, let stack) = e.kind else { return nil }
            return (d.tables.string(group), d.tables.stack(stack).map { d.tables.string($0.function) })
        }
        #expect(created.count == 1)
        #expect(created.first?.0 == "main.worker")
        #expect(created.first?.1 == ["runtime.gopark", "main.worker"])
        let reasons = d.events.compactMap { e -> String? in
            guard case .taskState(TaskID(9), .blocked(let r), _, _, _) = e.kind else { return nil }
            return d.tables.string(r)
        }
        #expect(reasons == [GoStateMachine.reasonBeforeWindow])
    }
}
