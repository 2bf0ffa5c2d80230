// A minimal protobuf wire-format decoder for tests: splits a message into its fields, so tests
// can read what ProtobufWriter (and the exporters built on it) wrote without generated code.
//
// Invariants:
// - Decoding never traps: malformed input (a truncated varint or field, an unknown wire type)
//   throws `ProtobufDecodeError` with the offset.
// - Fields are returned in wire order, repeated fields as repeated entries.

struct ProtobufDecodeError: Error, CustomStringConvertible {
    var offset: Int
    var message: String
    var description: String { "offset \(offset): \(message)" }
}

struct ProtobufField: Equatable {
    enum Value: Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case fixed32(UInt32)
        case bytes([UInt8])
    }
    var number: UInt32
    var value: Value

    var uint: UInt64? { if case .varint(let v) = value { v } else { nil } }
    var int: Int64? { uint.map { Int64(bitPattern: $0) } }
    var double: Double? { if case .fixed64(let v) = value { Double(bitPattern: v) } else { nil } }
    var fixed64: UInt64? { if case .fixed64(let v) = value { v } else { nil } }
    var bytes: [UInt8]? { if case .bytes(let b) = value { b } else { nil } }
    var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
    /// The field's bytes decoded as a nested message.
    func message() throws -> ProtobufMessage {
        guard let bytes else { throw ProtobufDecodeError(offset: 0, message: "field \(number) is not length-delimited") }
        return try ProtobufMessage(bytes)
    }
}

struct ProtobufMessage {
    var fields: [ProtobufField] = []

    init(_ bytes: [UInt8]) throws {
        var i = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count else { throw ProtobufDecodeError(offset: i, message: "truncated varint") }
                guard shift < 64 else { throw ProtobufDecodeError(offset: i, message: "varint longer than 10 bytes") }
                let b = bytes[i]
                i += 1
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
            }
        }
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - i else { throw ProtobufDecodeError(offset: i, message: "field runs past the end") }
            defer { i += n }
            return bytes[i..<(i + n)]
        }
        while i < bytes.count {
            let start = i
            let key = try varint()
            let number = UInt32(truncatingIfNeeded: key >> 3)
            guard number != 0 else { throw ProtobufDecodeError(offset: start, message: "field number 0") }
            switch key & 7 {
            case 0: fields.append(ProtobufField(number: number, value: .varint(try varint())))
            case 1:
                let raw = try take(8)
                let v = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                fields.append(ProtobufField(number: number, value: .fixed64(v)))
            case 2:
                let n = Int(try varint())
                fields.append(ProtobufField(number: number, value: .bytes(Array(try take(n)))))
            case 5:
                let raw = try take(4)
                let v = raw.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                fields.append(ProtobufField(number: number, value: .fixed32(v)))
            default:
                throw ProtobufDecodeError(offset: start, message: "wire type \(key & 7)")
            }
        }
    }

    func all(_ number: UInt32) -> [ProtobufField] { fields.filter { $0.number == number } }
    func first(_ number: UInt32) -> ProtobufField? { fields.first { $0.number == number } }
    func has(_ number: UInt32) -> Bool { first(number) != nil }
}
