// Go execution traces through TraceInput: the Go reader streams from the same byte source
// detection peeked at.

import TraceFormat
import TraceModel

extension TraceInput {
    static func openGoTrace(source: ByteSource, name: String, version: Int, readAhead: Bool) throws -> any TraceReader {
        try GoTraceReader(source: source, name: name, readAhead: readAhead)
    }
}
