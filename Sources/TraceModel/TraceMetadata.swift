// What a reader knows about a trace besides its events.
//
// Invariants:
// - `startNs` is known before the first event; `endNs` may only be final once the stream is
//   finished (`TraceReader.finish` returns the final metadata).
// - Everything but `format` and `startNs` is optional: Go traces have no trigger, old
//   snapshots may lack process fields.

public struct TraceMetadata: Sendable, Equatable {
    /// "tracexport" for our snapshots, "go" for Go execution traces.
    public var format: String
    /// Format version as written in the file ("1.0", "1.25").
    public var version: String
    public var startNs: Int64
    public var endNs: Int64
    /// Why the snapshot was taken ("slow request GET /ping 2.1 s"), and its key/values.
    public var trigger: String
    public var triggerFields: [KeyValue] = []
    public var pid: Int64?
    public var executable: String
    public var hostname: String
    /// Wall-clock time (ns since the Unix epoch) at `startNs`, when known.
    public var wallClockStartNs: Int64?
    /// Recorder configuration, when known.
    public var minAgeNs: Int64?
    public var maxBytes: Int64?
    /// Bytes of the input file (compressed), and of its content once decompressed.
    public var fileBytes: Int64
    public var uncompressedBytes: Int64
    /// Set when the events are a window cut from a longer trace (`--start`, `--end`, `--split`):
    /// the start of the whole trace. Outputs keep measuring time from it, so a window's times
    /// read as in the whole trace. Nil: the window is the whole trace.
    public var traceStartNs: Int64?
    /// Whether the window runs to the end of the trace (a whole trace does). A snapshot's
    /// trigger fires at the end of the trace: only such a window holds the moment it fired.
    public var reachesTraceEnd = true

    package init(format: String, version: String, startNs: Int64 = 0, endNs: Int64 = 0) {
        self.format = format
        self.version = version
        self.startNs = startNs
        self.endNs = endNs
        self.trigger = ""
        self.executable = ""
        self.hostname = ""
        self.fileBytes = 0
        self.uncompressedBytes = 0
    }

    public var durationNs: Int64 { max(0, endNs - startNs) }

    /// What outputs measure time from: the trace's start, also for a window cut from it.
    public var originNs: Int64 { traceStartNs ?? startNs }
}

public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String
    package init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}
