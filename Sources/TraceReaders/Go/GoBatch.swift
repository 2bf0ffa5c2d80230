// Batches: the unit in which the Go runtime writes a trace. A batch header is a type byte
// (EventBatch, or ExperimentalBatch followed by an experiment byte), then uvarints: generation,
// M (all ones = no M), base timestamp in ticks, data length; then the data.
// Go 1.26 also writes a lone EndOfGeneration byte between generations.
//
// Invariants:
// - A batch's data is at most 64 KiB (`maxDataLength`); a longer length is damage, so one bad
//   length never makes the reader allocate more than that.
// - `dataOffset` is the absolute input offset of the batch's first data byte, so an error inside
//   a batch can name the exact byte.

struct GoBatch {
    var m: UInt64
    var baseTicks: UInt64
    /// The batch's data: each batch owns its (at most 64 KiB) bytes, so a generation is held
    /// without one large, doubling buffer.
    var data: [UInt8]
    var start: Int { 0 }
    var end: Int { data.count }
    var dataOffset: Int64
    /// Ordinal of the batch in the file, from 0 (for messages).
    var ordinal: Int
    var experiment: UInt8
}

struct GoBatchError: Error {
    var message: String
    var offset: Int64
    var generation: UInt64
    var ordinal: Int
}

enum GoBatchRead {
    case batch(GoBatch, generation: UInt64)
    /// A Go 1.26 EndOfGeneration byte at that offset.
    case endOfGeneration(offset: Int64)
    case endOfInput
}

enum GoBatchReader {
    static let maxDataLength: UInt64 = 64 << 10
    static let noThread = UInt64.max

    /// Reads the next batch.
    static func read(_ source: inout GoByteSource, ordinal: Int,
                     version: GoTraceVersion) throws(GoBatchError) -> GoBatchRead {
        let start = source.offset
        var generation: UInt64 = 0
        func fail(_ message: String, _ at: Int64? = nil) -> GoBatchError {
            GoBatchError(message: message, offset: at ?? start, generation: generation, ordinal: ordinal)
        }
        func describe(_ f: GoReadFailure, _ what: String) -> GoBatchError {
            switch f {
            case .truncated: return fail("input ends inside the \(what) of a batch (truncated trace)", source.offset)
            case .badVarint: return fail("malformed varint in the \(what) of a batch", source.offset)
            case .ioError(let message): return fail("read error: \(message)", source.offset)
            }
        }
        let typeByte: UInt8
        do {
            guard let b = try source.readByte() else { return .endOfInput }
            typeByte = b
        } catch { throw describe(error, "header") }
        if typeByte == GoEv.endOfGeneration && version >= .go126 {
            return .endOfGeneration(offset: start)
        }
        guard typeByte == GoEv.eventBatch || (typeByte == GoEv.experimentalBatch && version >= .go123) else {
            throw fail("expected a batch, found byte \(typeByte) (not a batch type)")
        }
        do {
            var experiment: UInt8 = 0
            if typeByte == GoEv.experimentalBatch {
                guard let e = try source.readByte() else { throw GoReadFailure.truncated }
                experiment = e
            }
            generation = try source.readUvarint()
            let m = try source.readUvarint()
            let ticks = try source.readUvarint()
            let length = try source.readUvarint()
            guard length <= maxDataLength else {
                throw fail("batch length \(length) exceeds the maximum \(maxDataLength)")
            }
            let dataOffset = source.offset
            var data: [UInt8] = []
            data.reserveCapacity(Int(length))
            do {
                try source.read(count: Int(length), into: &data)
            } catch {
                throw describe(error, "data")
            }
            return .batch(GoBatch(m: m, baseTicks: ticks, data: data,
                                  dataOffset: dataOffset, ordinal: ordinal, experiment: experiment),
                          generation: generation)
        } catch let e as GoBatchError {
            throw e
        } catch let f as GoReadFailure {
            throw describe(f, "header")
        } catch {
            throw fail("unexpected error \(error)")
        }
    }
}

/// Bounds-checked reading inside one batch's data.
struct GoDataCursor {
    let data: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int

    @inline(__always)
    mutating func byte() -> UInt8? {
        guard position < end else { return nil }
        let b = data[position]
        position += 1
        return b
    }

    /// nil when truncated or malformed.
    @inline(__always)
    mutating func uvarint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var i = 0
        while i < 10 {
            guard position < end else { return nil }
            let b = data[position]
            position += 1
            if b < 0x80 {
                if i == 9 && b > 1 { return nil }
                return value | UInt64(b) << shift
            }
            value |= UInt64(b & 0x7f) << shift
            shift += 7
            i += 1
        }
        return nil
    }
}
