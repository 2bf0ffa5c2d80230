// An exporter whose output can be cut into parts of bounded size (`--split`): each part is a
// complete output of its own, so its driver must know, before cutting, how many bytes the part
// will have once finished.
//
// Invariants:
// - `stagedByteCount` are bytes formatted but not yet handed to the OutputBuffer; the part's
//   size so far is the buffer's `totalBytes` plus these.
// - `bytesToFinish` is exactly what `finish` with that metadata would add from now on (staged
//   bytes included), and changes nothing.

import TraceModel

package protocol SplittableExporter: TraceExporter {
    var stagedByteCount: Int { get }
    func bytesToFinish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?) throws -> Int64
}

extension ChromeTraceExporter: SplittableExporter {
    package var stagedByteCount: Int { writer.out.count }
}
