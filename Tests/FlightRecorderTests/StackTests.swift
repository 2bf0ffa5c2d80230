// Stack capture on region begins, when configured.

@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct StackCapture {
        @inline(never)
        static func regionWithStack() {
            Trace.withRegion("stacked") { Trace.counter("inside", 1) }
        }

        @Test("with captureStacks, region begins carry a stack the snapshot defines and names")
        func regionStacks() throws {
            let recorder = FlightRecorder(configuration: .init(captureStacks: true))
            try recorder.start()
            defer { recorder.stop() }
            for _ in 0..<2 { Self.regionWithStack() }
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let begins = snapshot.allEvents.filter { $0.event.kind == .regionBegin && $0.event.name == "stacked" }.map(\.event)
            #expect(begins.count == 2)
            let stackID = try #require(begins.first?.other)
            #expect(stackID != 0)
            #expect(begins.last?.other == stackID, "the same call site interns to the same stack")
            let frames = try #require(snapshot.stacks[stackID])
            #expect(frames.count >= 2)
            let names = frames.map { snapshot.strings[$0.function] ?? "" }
            #expect(!names.contains { $0.contains("FlightRecorder.Stacks") }, "the capture function itself is skipped: \(names)")
            // Functions are named by symbol, or (not exported) by image and offset.
            #expect(names.allSatisfy { !$0.isEmpty }, "\(names)")
            #expect(names.contains { $0.contains(".xctest+0x") || $0.contains("regionWithStack") }, "\(names)")
            // Another call site is another stack.
            Trace.withRegion("stacked") {}
            let again = try DecodedSnapshot(try recorder.snapshot())
            let ids = Set(again.allEvents.filter { $0.event.kind == .regionBegin && $0.event.name == "stacked" }.map(\.event.other))
            #expect(ids.count == 2)
        }

        @Test("without captureStacks, region begins carry no stack")
        func noStacksByDefault() throws {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            Self.regionWithStack()
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let begin = snapshot.allEvents.first { $0.event.kind == .regionBegin && $0.event.name == "stacked" }
            #expect(begin?.event.other == 0)
        }
    }
}
