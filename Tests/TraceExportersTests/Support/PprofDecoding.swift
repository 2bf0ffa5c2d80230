// Reading a pprof profile back in tests: gunzip (zlib), then profile.proto through the test
// protobuf decoder, resolved into names (no generated code).
//
// Invariants:
// - Every id a sample or location references must resolve (a dangling id throws), and string
//   0 must be "": what pprof itself insists on.

import CZlib
import Foundation

struct PprofDecodeError: Error, CustomStringConvertible {
    var description: String
}

func gunzip(_ data: [UInt8]) throws -> [UInt8] {
    try inflateAll(data, gzip: true)
}

/// Inflates a whole deflate stream: gzip-framed (RFC 1952) or zlib-framed (RFC 1950).
func inflateAll(_ data: [UInt8], gzip: Bool) throws -> [UInt8] {
    var stream = z_stream()
    guard (gzip ? tx_inflateInitGzip(&stream) : tx_inflateInit(&stream)) == Z_OK else {
        throw PprofDecodeError(description: "inflateInit failed")
    }
    defer { inflateEnd(&stream) }
    var input = data
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    let rc: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
        stream.next_in = inputBuffer.baseAddress
        stream.avail_in = uInt(inputBuffer.count)
        while true {
            let (rc, produced) = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = uInt(buffer.count)
                let rc = inflate(&stream, Z_NO_FLUSH)
                return (rc, buffer.count - Int(stream.avail_out))
            }
            output.append(contentsOf: chunk[0..<produced])
            if rc != Z_OK { return rc }
        }
    }
    guard rc == Z_STREAM_END, stream.avail_in == 0 else { throw PprofDecodeError(description: "deflate stream damaged (\(rc))") }
    return output
}

struct DecodedProfile {
    struct Frame: Equatable {
        var function: String
        var file: String
        var line: Int64
    }
    struct Sample {
        /// Leaf first, as in profile.proto.
        var frames: [Frame]
        var values: [Int64]
        var labels: [String: String]
    }

    var sampleTypes: [(type: String, unit: String)] = []
    var defaultSampleType = ""
    var samples: [Sample] = []
    var durationNanos: Int64 = 0

    init(gzipped: [UInt8]) throws {
        try self.init(try gunzip(gzipped))
    }

    init(_ bytes: [UInt8]) throws {
        let profile = try ProtobufMessage(bytes)
        let strings = profile.all(6).map { $0.string ?? "" }
        guard strings.first == "" else { throw PprofDecodeError(description: "string 0 is not empty") }
        func string(_ field: ProtobufField?) throws -> String {
            let i = Int(field?.int ?? 0)
            guard i >= 0, i < strings.count else { throw PprofDecodeError(description: "string \(i) out of range") }
            return strings[i]
        }
        var functions: [UInt64: (name: String, file: String)] = [:]
        for field in profile.all(5) {
            let f = try field.message()
            functions[f.first(1)?.uint ?? 0] = (try string(f.first(2)), try string(f.first(4)))
        }
        var locations: [UInt64: Frame] = [:]
        for field in profile.all(4) {
            let l = try field.message()
            let line = try l.first(4)?.message()
            guard let function = functions[line?.first(1)?.uint ?? 0] else {
                throw PprofDecodeError(description: "location without a known function")
            }
            locations[l.first(1)?.uint ?? 0] = Frame(function: function.name, file: function.file, line: line?.first(2)?.int ?? 0)
        }
        for field in profile.all(1) {
            let v = try field.message()
            sampleTypes.append((try string(v.first(1)), try string(v.first(2))))
        }
        defaultSampleType = try string(profile.first(14))
        durationNanos = profile.first(10)?.int ?? 0
        for field in profile.all(2) {
            let s = try field.message()
            var ids: [UInt64] = []
            for packed in s.all(1) { ids += try Self.varints(packed.bytes ?? []) }
            var values: [Int64] = []
            for packed in s.all(2) { values += try Self.varints(packed.bytes ?? []).map { Int64(bitPattern: $0) } }
            var labels: [String: String] = [:]
            for labelField in s.all(3) {
                let label = try labelField.message()
                labels[try string(label.first(1))] = try string(label.first(2))
            }
            let frames = try ids.map { id in
                guard let frame = locations[id] else { throw PprofDecodeError(description: "unknown location \(id)") }
                return frame
            }
            guard values.count == sampleTypes.count else { throw PprofDecodeError(description: "sample with \(values.count) values") }
            samples.append(Sample(frames: frames, values: values, labels: labels))
        }
    }

    private static func varints(_ bytes: [UInt8]) throws -> [UInt64] {
        var out: [UInt64] = []
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for b in bytes {
            guard shift < 64 else { throw PprofDecodeError(description: "varint too long") }
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                out.append(value)
                value = 0
                shift = 0
            } else {
                shift += 7
            }
        }
        guard shift == 0 else { throw PprofDecodeError(description: "truncated packed varint") }
        return out
    }

    /// Sum of each sample type's values, by type name.
    var totals: [String: Int64] {
        var sums: [String: Int64] = [:]
        for (i, type) in sampleTypes.enumerated() {
            sums[type.type] = samples.reduce(0) { $0 + $1.values[i] }
        }
        return sums
    }

    /// A readable listing (the golden form): types, then one line per sample, root first.
    var listing: String {
        var lines = ["sample types: " + sampleTypes.map { "\($0.type)/\($0.unit)" }.joined(separator: " ")
                     + " (default \(defaultSampleType))", "duration: \(durationNanos) ns"]
        for sample in samples {
            let stack = sample.frames.reversed().map { frame in
                frame.file.isEmpty ? frame.function : "\(frame.function) (\(frame.file):\(frame.line))"
            }.joined(separator: "; ")
            let labels = sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lines.append(sample.values.map(String.init).joined(separator: " ") + " | " + stack + " | " + labels)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
