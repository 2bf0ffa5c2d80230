// A span's attributes read in place (SpanAttributeEntries): allowed only when swift-distributed-
// tracing's SpanAttributes is its dictionary and nothing else, and then the same entries, in the
// same order, as SpanAttributes.forEach gives.

#if Tracing
@testable import FlightRecorderTracing
import Testing
import Tracing

extension Integration {
    @Suite struct SpanAttributeEntriesSpecification {
        @Test("SpanAttributes is read in place: its size, its one stored property's type and a probe's entries are the dictionary's")
        func layoutIsVerified() {
            #expect(SpanAttributeEntries.layoutFailure() == nil)
            #expect(SpanAttributeEntries.layoutVerified)
        }

        @Test("in place or through forEach, every attribute comes in forEach's order with its value",
              arguments: [0, 1, 2, 40])
        func sameEntriesAsForEach(count: Int) {
            var attributes = SpanAttributes([:])
            for index in 0..<count {
                attributes.set("key.\(index)", value: index % 2 == 0 ? .int64(Int64(index)) : .string("value \(index)"))
            }
            // A removed attribute leaves a hole in the dictionary's storage.
            if count > 1 { attributes.set("key.1", value: nil) }
            var viaForEach: [(key: String, value: SpanAttribute)] = []
            attributes.forEach { viaForEach.append(($0, $1)) }
            #expect(viaForEach.count == attributes.count)
            for inPlace in [true, false] {
                var entries: [(key: String, value: SpanAttribute)] = []
                SpanAttributeEntries.forEach(in: attributes, inPlace: inPlace) { entries.append(($0, $1)) }
                #expect(entries.map(\.key) == viaForEach.map(\.key), "in place: \(inPlace)")
                #expect(entries.map(\.value) == viaForEach.map(\.value), "in place: \(inPlace)")
            }
        }
    }
}
#endif
