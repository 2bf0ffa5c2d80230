// The half of reading a Go trace that needs no interned strings: generations read from the
// input, their batches decoded per M, and the events put in Go's cross-M order, handed out in
// batches of ordered events so that it can run ahead on a thread of its own (ReadAhead).
//
// Invariants:
// - Events come out in the order Go's reader gives them, generation after generation; a batch
//   holds the events of one generation only, and the first batch of a generation names it in
//   `installed` (with, for the first generation, the look-ahead the window start needs).
// - Damage ends the stream in the batch after the last event that could be ordered: the last
//   batch carries it (or nothing, at a clean end) with the number of input bytes seen.
// - Generations are only read once filed: a generation handed out in a batch is never
//   written again, so the consumer may read it while this orders the next one.
// - Memory: the generation being ordered plus the generations the queued batches refer to.

import TraceModel

struct GoOrderedBatch: @unchecked Sendable {
    // @unchecked Sendable: the GoGeneration objects are complete before a batch names them and
    // are only read afterwards, by either side (see the invariants above).

    /// A generation starts with this batch: its Sync comes before `events`.
    var installed: GoGeneration?
    /// For the first generation: what was alive at its start.
    var lookahead: GoLookahead?
    /// The generation `events` belong to.
    var generation: GoGeneration?
    var events: [GoOrderedEvent] = []
    /// For GoCreateSyscall events (by index in `events`): the first stack of the created
    /// goroutine later in the generation, which names its group.
    var createdStacks: [(index: Int, stack: UInt64)] = []
    /// Set on the last batch.
    var end: GoStreamEnd?
}

struct GoStreamEnd {
    /// Nil at a clean end.
    var damage: TraceDamage?
    var bytesSeen: Int64
}

struct GoOrderedBatches: BatchProducer {
    let batchSize: Int
    let name: String
    let table: GoEventTable
    private var generations: GoGenerationReader
    private var ordering: GoOrdering
    private var frontier = GoFrontier()
    private var generation: GoGeneration?
    private var installedAny = false
    private var ended = false

    init(version: GoTraceVersion, source: GoByteSource, name: String, batchSize: Int) {
        precondition(batchSize > 0)
        self.batchSize = batchSize
        self.name = name
        self.table = GoEventTable(version: version)
        self.generations = GoGenerationReader(version: version, source: source)
        self.ordering = GoOrdering(table: table)
    }

    mutating func nextBatch(reusing spent: consuming GoOrderedBatch?) -> GoOrderedBatch? {
        guard !ended else { return nil }
        var batch = GoOrderedBatch()
        var recycled = spent
        // The ordering queues straight into the batch's storage: the queue is handed out whole
        // and the spent batch's storage (taken out whole, so uniquely held) becomes the queue.
        if let storage = recycled.take()?.events { spare = storage }
        batch.generation = generation
        while ordering.queued < batchSize {
            if frontier.isEmpty {
                if let e = generation?.readError { return end(batch, report(e)) }
                // A new generation starts a batch of its own.
                if ordering.queued > 0 { return handOut(batch) }
                switch loadGeneration() {
                case .installed(let gen, let lookahead):
                    batch.installed = gen
                    batch.lookahead = lookahead
                    batch.generation = gen
                    continue
                case .ended(let damage):
                    return end(batch, damage)
                }
            }
            guard let gen = generation else { return end(batch, nil) }
            do {
                // A run of events of this generation, with one reference to it for the run.
                while ordering.queued < batchSize && !frontier.isEmpty {
                    guard try GoTraceEngine.advanceOne(&frontier, &ordering, gen, table) else {
                        if let e = gen.readError { return end(batch, reportCut(e)) }
                        let head = frontier.cursor(at: 0)
                        let detail = (0..<min(4, frontier.count)).map { frontier.cursor(at: $0) }.map {
                            "M \($0.m == GoSchedContext.none ? "none" : String($0.m)) \(table.name($0.event.type))"
                        }.joined(separator: ", ")
                        return end(batch, GoDamageSite(generation: gen.number, batch: head.batchOrdinal, offset: head.eventOffset)
                            .damage(file: name, "no M's next event can happen (\(detail)): events out of order or missing"))
                    }
                    // Creations in a syscall are rare: the common case stays in the loop.
                    if ordering.queuedCreateSyscall {
                        noteCreations(gen, into: &batch)
                    } else {
                        noted = ordering.queued
                    }
                }
            } catch let e as GoBatchError {
                return end(batch, gen.readError.map { reportCut($0) } ?? report(e))
            } catch let e as GoOrderFailure {
                if let cut = gen.readError { return end(batch, reportCut(cut)) }
                return end(batch, GoDamageSite(generation: gen.number, batch: e.batchOrdinal, offset: e.offset)
                    .damage(file: name, "\(table.name(e.type)) event: \(e.message)"))
            } catch {
                return end(batch, TraceDamage(file: name, offset: 0, message: "\(error)"))
            }
        }
        return handOut(batch)
    }

    /// Storage for the ordering's next queue.
    private var spare: [GoOrderedEvent] = []
    /// Queued events already looked at by `noteCreations`.
    private var noted = 0

    /// For the events the last advance queued: the first stack of each goroutine created in a
    /// syscall, looked up ahead in the generation.
    private mutating func noteCreations(_ gen: GoGeneration, into batch: inout GoOrderedBatch) {
        while noted < ordering.queued {
            let i = noted
            noted += 1
            guard ordering.queue[i].wire.type == GoEv.goCreateSyscall else { continue }
            let g = ordering.queue[i].wire.args[0]
            if let stack = GoLookahead.firstStack(of: g, gen, ordering: ordering, after: i, frontier: frontier) {
                batch.createdStacks.append((i, stack))
            }
        }
    }

    /// `batch` with the events queued so far.
    private mutating func handOut(_ batch: GoOrderedBatch) -> GoOrderedBatch {
        var batch = batch
        var storage: [GoOrderedEvent] = []
        swap(&storage, &spare)  // uniquely held, so emptied in place
        if storage.capacity == 0 { storage.reserveCapacity(batchSize + 64) }
        batch.events = ordering.takeQueue(replacingWith: storage)
        noted = 0
        return batch
    }

    private mutating func end(_ batch: GoOrderedBatch, _ damage: TraceDamage?) -> GoOrderedBatch {
        // An advance that failed part way may have queued its event: like the events after
        // it, it is not handed out.
        ordering.dropQueued(after: noted)
        var batch = handOut(batch)
        batch.end = GoStreamEnd(damage: damage, bytesSeen: generations.source.bytesSeen)
        ended = true
        frontier = GoFrontier()
        generation = nil
        return batch
    }

    private enum Load {
        case installed(GoGeneration, lookahead: GoLookahead?)
        /// No generation follows: the clean end (nil) or the damage that stopped it.
        case ended(TraceDamage?)
    }

    private mutating func loadGeneration() -> Load {
        // The finished generation goes before the next is read.
        generation = nil
        frontier = GoFrontier()
        let gen: GoGeneration?
        do {
            gen = try generations.next()
        } catch {
            return .ended(report(error))
        }
        guard let gen else { return .ended(nil) }
        for m in gen.ms {
            var c = GoBatchCursor(m: m, generation: gen)
            do {
                if try c.advance(gen, table) { frontier.insert(c) }
            } catch {
                return .ended(report(error))
            }
        }
        generation = gen
        var lookahead: GoLookahead?
        if !installedAny {
            installedAny = true
            lookahead = GoLookahead.run(gen, ordering: ordering, frontier: frontier)
        }
        return .installed(gen, lookahead: lookahead)
    }

    /// A generation cut short stalls or fails where its missing batches (or strings) were
    /// needed: the cut is the damage, not what it caused.
    private func reportCut(_ cut: GoBatchError) -> TraceDamage {
        var e = cut
        e.message += " (the generation's events before the cut were converted as far as they could be ordered)"
        return report(e)
    }

    private func report(_ e: GoBatchError) -> TraceDamage {
        var message = e.message
        if e.ordinal < 0 {
            return TraceDamage(file: name, offset: e.offset, message: "generation \(e.generation): \(message)")
        }
        if e.generation == 0 { message += " (generation unknown)" }
        return GoDamageSite(generation: e.generation, batch: e.ordinal, offset: e.offset).damage(file: name, message)
    }
}
