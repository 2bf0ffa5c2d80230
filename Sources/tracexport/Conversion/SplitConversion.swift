// `--split SIZE`: one input (or window) converted into numbered files of at most SIZE bytes
// each, `out.json` giving out.1.json, out.2.json, ... Each part is a complete output of its own
// time range, carrying the state at its start (LiveTraceState): tasks running or waiting, open
// regions, thread names, actors, counters, as `go tool trace` does for its ranges. Times stay
// on the whole trace's axis, so parts line up.
//
// Invariants:
// - Streaming: one part is open at a time; besides the exporter's live state only the trace's
//   live state is kept. Finished parts stay temporary files until every part is written: a
//   failed conversion leaves no part behind, and replaces none.
// - A part covers [its start, the next part's start): a cut falls at the time of the first event
//   after it, between two events of different times, unless one instant holds more events than
//   half the margin fits: then the cut falls inside that instant, which both parts share.
// - Size: a part is cut between events once its size so far plus
//   a bound on what finishing it would add comes within a margin of SIZE. The bound is exact
//   arithmetic, not an estimate: the bytes a finish far in the future would add, measured by
//   finishing a copy of the exporter (`SplittableExporter.bytesToFinish`). It is measured every
//   SIZE/64 bytes and the margin is twice that, so events between two measurements would have
//   to add more than SIZE/32 to outrun it. A part over SIZE is never written: that (SIZE too
//   small for the state at a part's start, or for one event) is a one-line error, exit 1.
// - Every part holds at least one event of the input (a part is cut only after an event), so
//   the cutting always makes progress.

import ArgumentParser
import TraceExporters
import TraceModel
import TraceReaders

/// A size in bytes: `100MB`, `1.5GB`, `64KiB`, `4096`.
struct ByteSize: ExpressibleByArgument {
    var bytes: Int64

    init?(argument: String) {
        let units: [(suffix: String, bytes: Double)] = [
            ("KiB", 1024), ("MiB", 1024 * 1024), ("GiB", 1024 * 1024 * 1024),
            ("kB", 1e3), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("B", 1),
        ]
        let unit = units.first { argument.hasSuffix($0.suffix) } ?? ("", 1)
        let number = argument.dropLast(unit.suffix.count)
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value.isFinite else { return nil }
        let bytes = (value * unit.bytes).rounded(.down)
        guard bytes >= 1, bytes < 9e18 else { return nil }
        self.bytes = Int64(bytes)
    }
}

extension Conversion {
    static func runSplit<E: SplittableExporter>(_ makeExporter: () -> E, size: ByteSize, options: InputOptions) throws {
        guard let path = options.output else {
            throw CLIError(subject: options.input, message: "--split writes numbered files: give -o").exit()
        }
        let window: TraceWindow?
        let reader: any TraceReader
        do {
            window = try options.window()
            reader = try TraceInput.open(path: options.input, readAhead: !options.singleThread)
        } catch {
            throw CLIError(reading: options.input, error).exit()
        }
        var splitter = Splitter(path: path, limit: size.bytes, input: options.input)
        let outcome: Outcome
        do {
            outcome = try splitter.convert(reader, window: window, makeExporter)
        } catch {
            splitter.discard()
            throw error.exit()
        }
        guard report(outcome, options: options) else {
            splitter.discard()
            throw ExitCode.failure
        }
        do {
            try splitter.commit()
        } catch {
            splitter.discard()
            throw error.exit()
        }
    }
}

/// Writes the parts of one `--split` conversion.
struct Splitter {
    let path: String
    let limit: Int64
    let input: String
    /// Parts written (closed), and the one being written.
    private var parts: [OutputTarget] = []

    init(path: String, limit: Int64, input: String) {
        self.path = path
        self.limit = limit
        self.input = input
    }

    /// `out.json` -> `out.3.json`; `out` -> `out.3`.
    static func partPath(_ path: String, _ number: Int) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        if let dot = path[slash...].lastIndex(of: "."), dot > slash {
            return "\(path[..<dot]).\(number)\(path[dot...])"
        }
        return "\(path).\(number)"
    }

    mutating func convert<R: TraceReader, E: SplittableExporter>(_ reader: R, window: TraceWindow?,
                                                                 _ makeExporter: () -> E) throws(CLIError) -> Conversion.Outcome {
        if let window { return try split(WindowedTraceReader(reader, window: window), makeExporter) }
        return try split(reader, makeExporter)
    }

    private mutating func split<R: TraceReader, E: SplittableExporter>(_ reader: R, _ makeExporter: () -> E)
        throws(CLIError) -> Conversion.Outcome {
        var reader = reader
        var state = LiveTraceState()
        var progress = Progress(input: input)
        var events: Int64 = 0
        let step = max(limit / 64, 1)
        let margin = 2 * step
        var partName = ""
        do {
            var next = try reader.next()
            var partStartNs = reader.metadata.startNs
            while true {
                // One part: the state carried in, then events until the cut or the end.
                let target = try OutputTarget.file(Self.partPath(path, parts.count + 1))
                partName = target.displayName
                parts.append(target)
                var output = OutputBuffer(fileDescriptor: target.fileDescriptor, writesInBackground: true)
                var exporter = makeExporter()
                try exporter.begin(metadata: partMetadata(reader.metadata, startNs: partStartNs, endNs: nil),
                                   tables: reader.tables, output: &output)
                if parts.count > 1 {
                    for event in state.carriedEvents(at: partStartNs) {
                        try exporter.consume(event, tables: reader.tables, output: &output)
                    }
                }
                var nextCheck: Int64 = 0
                var cutNs: Int64? = nil
                while let event = next {
                    state.apply(event)
                    try exporter.consume(event, tables: reader.tables, output: &output)
                    events += 1
                    if events & 0xFFFF == 0 { progress.update(events: events) }
                    next = try reader.next()
                    let written = output.totalBytes + Int64(exporter.stagedByteCount)
                    guard written >= nextCheck, let upcoming = next else { continue }
                    // Finishing later never writes less (slices open now get longer, so none is
                    // left out for lasting zero ns; timestamps get no shorter): the bytes of a
                    // finish far in the future bound those of a cut at any time until then.
                    let bound = output.totalBytes
                        + (try exporter.bytesToFinish(metadata: partMetadata(reader.metadata, startNs: partStartNs,
                                                                             endNs: Self.farFutureNs, reachesTraceEnd: true),
                                                      tables: reader.tables, damage: nil))
                    if bound + margin > limit {
                        // Parts are half open like windows: a cut falls between two times...
                        if upcoming.timeNs > event.timeNs {
                            cutNs = upcoming.timeNs
                            break
                        }
                        // ...unless one instant holds too many events: then the cut falls inside it.
                        if bound + margin / 2 > limit {
                            cutNs = event.timeNs
                            break
                        }
                        // Waiting for the time to move on: measure after every event.
                        nextCheck = written
                        continue
                    }
                    nextCheck = written + step
                }
                progress.finish()
                let last = cutNs == nil
                let metadata = last ? partMetadata(reader.metadata, startNs: partStartNs, endNs: reader.metadata.endNs,
                                                   reachesTraceEnd: reader.metadata.reachesTraceEnd)
                                    : partMetadata(reader.metadata, startNs: partStartNs, endNs: cutNs!)
                try exporter.finish(metadata: metadata, tables: reader.tables, damage: last ? reader.damage : nil,
                                    output: &output)
                try output.flush()
                if output.totalBytes > limit { throw tooLarge(output.totalBytes, at: partStartNs, reader.metadata) }
                try parts[parts.count - 1].closeFile()
                guard let cutNs else { break }
                partStartNs = cutNs
            }
        } catch let error as OutputError {
            progress.finish()
            throw CLIError(subject: partName, message: error.description)
        } catch let error as CLIError {
            progress.finish()
            throw error
        } catch {
            progress.finish()
            throw CLIError(reading: input, error)
        }
        return Conversion.Outcome(events: events, damage: reader.damage, warnings: reader.warnings)
    }

    /// A time later than any part ends (ns): ~73 years.
    static let farFutureNs = Int64.max / 4

    /// The metadata of a part: its own window on the whole trace's axis.
    private func partMetadata(_ trace: TraceMetadata, startNs: Int64, endNs: Int64?,
                              reachesTraceEnd: Bool = false) -> TraceMetadata {
        var m = trace
        m.traceStartNs = trace.originNs
        m.startNs = startNs
        if let endNs {
            m.endNs = max(endNs, startNs)
            m.reachesTraceEnd = reachesTraceEnd
        }
        return m
    }

    private func tooLarge(_ bytes: Int64, at timeNs: Int64, _ trace: TraceMetadata) -> CLIError {
        CLIError(subject: Self.partPath(path, parts.count),
                 message: "the part would hold \(bytes) bytes, over --split \(limit): too small for the state "
                          + "carried in at \(DurationText.format(timeNs - trace.originNs)) and the events after it")
    }

    mutating func commit() throws(CLIError) {
        for i in parts.indices { try parts[i].commit() }
    }

    mutating func discard() {
        for i in parts.indices { parts[i].discard() }
    }
}
