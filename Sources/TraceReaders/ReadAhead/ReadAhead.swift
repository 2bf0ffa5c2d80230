// Reading ahead: the part of a reader that needs no shared state (input, decompression,
// decoding, ordering) fills batches on a second thread while the reader's own thread maps and
// exports the batches before them.
//
// Invariants:
// - A reader gets the same batches in the same order whether they are produced on its own
//   thread (`BatchSource(inline:)`) or read ahead (`BatchSource(readingAhead:)`): the producer
//   is the same code, so the two paths cannot differ in content or order.
// - A producer never throws: damage and read errors travel inside its batches, in stream
//   order, and its last batch says how the stream ended. After it returns nil the queue is
//   closed, so a consumer is never left waiting on a producer that is done.
// - The producer owns everything it reads from (source, decompressor, decoders): nothing it
//   touches is touched by the consumer after the hand-over.
// - A reader dropped before the end cancels the hand-off: the producer's next `put` fails and
//   its thread returns.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceModel

/// Makes the batches of one input, in order.
protocol BatchProducer: SendableMetatype {
    associatedtype Batch: Sendable
    /// The next batch; nil after the last one. `spent` is a batch the consumer is done with,
    /// when there is one: its storage may be refilled instead of allocated anew.
    mutating func nextBatch(reusing spent: consuming Batch?) -> Batch?
}

/// How a reader gets its batches.
struct BatchReading {
    /// Made on a second thread (else on the reader's own).
    var readAhead: Bool
    /// Events or records per batch: a batch should stay in the cache between the two threads
    /// while the hand-off's lock is paid rarely.
    var batchSize = 2048
    /// Batches that may wait between the two threads.
    var depth = 4
}

/// Where a reader's batches come from: its own thread, or a second one reading ahead.
struct BatchSource<Producer: BatchProducer> {
    /// Batches made on the reader's thread.
    private var inline: Producer?
    /// Batches read ahead on a second thread.
    private let readAhead: ReadAheadThread<Producer.Batch>?

    init(inline producer: Producer) {
        inline = producer
        readAhead = nil
    }

    /// Starts `producer` on a thread of its own; at most `depth` batches wait for the reader.
    /// Where no thread can be started, the batches are made on the reader's thread instead.
    init(readingAhead producer: Producer, depth: Int) {
        if let thread = ReadAheadThread(producer, depth: depth) {
            inline = nil
            readAhead = thread
        } else {
            inline = producer
            readAhead = nil
        }
    }

    init(_ producer: Producer, reading: BatchReading) {
        if reading.readAhead {
            self.init(readingAhead: producer, depth: reading.depth)
        } else {
            self.init(inline: producer)
        }
    }

    var isReadingAhead: Bool { readAhead != nil }

    /// The next batch; `spent` is the previous one, whose storage the producer may reuse.
    mutating func next(spent: consuming Producer.Batch?) -> Producer.Batch? {
        if let readAhead {
            if let spent = spent.take() { readAhead.spent.offer(spent) }
            return readAhead.queue.take()
        }
        return inline!.nextBatch(reusing: spent.take())
    }
}

/// The producer's thread and the queue it fills.
final class ReadAheadThread<Batch: Sendable> {
    let queue: HandOff<Batch>
    /// Batches the consumer is done with, on their way back for reuse.
    let spent: HandOff<Batch>

    /// Nil when no thread can be started (the producer is then untouched).
    init?<P: BatchProducer>(_ producer: P, depth: Int) where P.Batch == Batch {
        let queue = HandOff<Batch>(capacity: depth)
        let spent = HandOff<Batch>(capacity: depth + 2)
        self.queue = queue
        self.spent = spent
        let moved = Moved(producer)
        let started = startDetachedThread {
            var producer = moved.value
            while let batch = producer.nextBatch(reusing: spent.poll()) {
                guard queue.put(batch) else { return }
            }
            queue.close()
        }
        guard started else { return nil }
    }

    deinit {
        queue.cancel()
        spent.cancel()
    }
}

/// A value handed to another thread once and never touched again by the thread that made it.
// @unchecked Sendable: `ReadAheadThread.init` gives its producer up to the new thread; the
// reader keeps no reference to it or to anything it owns.
private struct Moved<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
