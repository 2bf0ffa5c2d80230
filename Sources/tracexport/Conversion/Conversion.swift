// Running one input through one exporter: open, stream, report damage, commit the output.
//
// Invariants:
// - Streaming end to end: events go from the reader to the exporter one at a time or in short
//   runs (RunReading); the output buffer flushes in bounded chunks (OutputBuffer).
// - A time window (--start, --end) is a stage between reader and exporter
//   (WindowedTraceReader): every exporter converts a window as it would a whole trace. With a
//   window, nothing is written before the window is known to lie inside the trace: a window
//   outside it is a one-line error, exit 1, with no output.
// - Damaged input: everything before the damage is converted; one line on stderr says where
//   the damage is and what was lost; --strict turns it into exit 1 (and no -o file).
// - Reader warnings (non-fatal observations) go to stderr after the conversion.

import ArgumentParser
import TraceExporters
import TraceModel
import TraceReaders

enum Conversion {
    struct Outcome {
        var events: Int64
        var damage: TraceDamage?
        var warnings: [String]
    }

    static func run<E: TraceExporter>(_ exporter: E, options: InputOptions) throws {
        let window: TraceWindow?
        let reader: any TraceReader
        do {
            window = try options.window()
            reader = try TraceInput.open(path: options.input, readAhead: !options.singleThread)
        } catch {
            throw CLIError(reading: options.input, error).exit()
        }
        var target: OutputTarget
        do {
            target = try options.output.map { path throws(CLIError) in try OutputTarget.file(path) } ?? .standardOutput()
        } catch {
            throw error.exit()
        }
        let outcome: Outcome
        do {
            outcome = try convertAny(reader, window: window, with: exporter, input: options.input, target: target)
        } catch {
            target.discard()
            throw error.exit()
        }
        guard report(outcome, options: options) else {
            target.discard()
            throw ExitCode.failure
        }
        do {
            try target.commit()
        } catch {
            throw error.exit()
        }
    }

    private static func convertAny<E: TraceExporter>(_ reader: any TraceReader, window: TraceWindow?, with exporter: E,
                                                  input: String, target: OutputTarget) throws(CLIError) -> Outcome {
        // The readers by their concrete types: the loop below is then specialized for each, and
        // a reader's `next()` inlines into it instead of going through the protocol per event.
        if let snapshot = reader as? SnapshotTraceReader {
            return try convert(snapshot, window: window, with: exporter, input: input, target: target)
        }
        if let go = reader as? GoTraceReader {
            return try convert(go, window: window, with: exporter, input: input, target: target)
        }
        return try convertEventByEvent(reader, window: window, with: exporter, input: input, target: target)  // opens the existential
    }

    private static func convertEventByEvent<R: TraceReader, E: TraceExporter>(_ reader: R, window: TraceWindow?,
                                                                            with exporter: E, input: String,
                                                                            target: OutputTarget) throws(CLIError) -> Outcome {
        try convert(EventByEvent(base: reader), window: window, with: exporter, input: input, target: target)
    }

    private static func convert<R: RunReading, E: TraceExporter>(_ reader: R, window: TraceWindow?, with exporter: E,
                                                                input: String,
                                                                target: OutputTarget) throws(CLIError) -> Outcome {
        if let window {
            return try stream(WindowedTraceReader(reader, window: window), with: exporter, input: input, target: target,
                              readFirst: true)
        }
        return try stream(reader, with: exporter, input: input, target: target, readFirst: false)
    }

    /// `readFirst`: read the first event before the exporter writes anything (a window's reader
    /// refuses a window outside the trace there).
    private static func stream<R: RunReading, E: TraceExporter>(_ reader: R, with exporter: E, input: String,
                                                               target: OutputTarget,
                                                               readFirst: Bool) throws(CLIError) -> Outcome {
        var reader = reader
        var exporter = exporter
        var output = OutputBuffer(fileDescriptor: target.fileDescriptor, writesInBackground: true)
        var progress = Progress(input: input)
        var events: Int64 = 0
        do {
            var first: TraceEvent? = nil
            if readFirst { first = try reader.next() }
            try exporter.begin(metadata: reader.metadata, tables: reader.tables, output: &output)
            if let first {
                try exporter.consume(first, tables: reader.tables, output: &output)
                events += 1
            }
            // One tables object for the whole stream (readers only ever add to it).
            let tables = reader.tables
            while true {
                let count = try reader.nextRun { event in try exporter.consume(event, tables: tables, output: &output) }
                if count == 0 { break }
                let before = events
                events += Int64(count)
                if events >> 16 != before >> 16 { progress.update(events: events) }
            }
            progress.finish()
            try exporter.finish(metadata: reader.metadata, tables: reader.tables, damage: reader.damage, output: &output)
            try output.flush()
        } catch let error as OutputError {
            progress.finish()
            throw CLIError(subject: target.displayName, message: error.description)
        } catch {
            progress.finish()
            throw CLIError(reading: input, error)
        }
        return Outcome(events: events, damage: reader.damage, warnings: reader.warnings)
    }

    /// Reports damage and warnings after a conversion; false when --strict refuses the output.
    static func report(_ outcome: Outcome, options: InputOptions) -> Bool {
        if let damage = outcome.damage {
            StandardError.print("tracexport: \(damage.description); converted the \(outcome.events) events before it,"
                                + " the rest of the input is lost")
            if options.strict { return false }
        }
        for warning in outcome.warnings {
            let subject = warning.hasPrefix(options.input + ": ") ? "" : options.input + ": "
            StandardError.print("tracexport: \(subject)warning: \(warning.replacingPrefix(options.input + ": "))")
        }
        return true
    }
}

extension String {
    /// Drops `prefix` when the string starts with it.
    func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
