// IDMap behaves like a Dictionary under random inserts, updates and removals.

import SyntheticTraces
import Testing
import TraceModel

@Suite struct IDMapTests {
    @Test func agreesWithADictionaryUnderChurn() {
        var rng = SeededRandom(seed: 3)
        var table = IDMap<Int32>(capacity: 4)
        var reference: [UInt64: Int32] = [:]
        for step in 0..<50_000 {
            let key = UInt64(rng.below(3_000)) &* (rng.chance(50) ? 1 : 0x1_0000_0001)
            if rng.chance(40) {
                table.remove(key)
                reference[key] = nil
            } else {
                let value = Int32(step % 1_000_000)
                table.insert(key, value)
                reference[key] = value
            }
            if step % 997 == 0 {
                #expect(table.count == reference.count)
                for probe in 0..<3_000 as Range<UInt64> { #expect(table[probe] == reference[probe]) }
            }
        }
        #expect(Set(table.entries.map(\.key)) == Set(reference.keys))
    }
}
