// pprof's profile.proto (github.com/google/pprof, proto/profile.proto), written from a trie of
// stacks: the field numbers and the tables (strings, functions, locations) a profile needs.
//
// Invariants:
// - Ids are dense and start at 1 (0 means "none" in profile.proto); string 0 is "".
// - One mapping (id 1, the traced program) holds every location: symbolized already (names,
//   files, lines), so pprof never looks for a binary.
// - A function is a name and a file; a location is a function and a line. Group, region and
//   state frames are functions without a file, at line 0.
// - Samples are written as they are made (they are the bulk); the tables they reference are
//   written after them, which profile.proto allows (fields may come in any order).

import TraceModel

struct PprofProfileWriter {
    private enum Profile {
        static let sampleType: UInt32 = 1, sample: UInt32 = 2, mapping: UInt32 = 3, location: UInt32 = 4, function: UInt32 = 5
        static let stringTable: UInt32 = 6, timeNanos: UInt32 = 9, durationNanos: UInt32 = 10
        static let periodType: UInt32 = 11, period: UInt32 = 12, defaultSampleType: UInt32 = 14
    }
    private enum ValueType { static let type: UInt32 = 1, unit: UInt32 = 2 }
    private enum Sample { static let locationID: UInt32 = 1, value: UInt32 = 2, label: UInt32 = 3 }
    private enum Label { static let key: UInt32 = 1, str: UInt32 = 2 }
    private enum Mapping {
        static let id: UInt32 = 1, filename: UInt32 = 5
        static let hasFunctions: UInt32 = 7, hasFilenames: UInt32 = 8, hasLineNumbers: UInt32 = 9
    }
    private enum Location { static let id: UInt32 = 1, mappingID: UInt32 = 2, line: UInt32 = 4 }
    private enum Line { static let functionID: UInt32 = 1, line: UInt32 = 2 }
    private enum Function { static let id: UInt32 = 1, name: UInt32 = 2, systemName: UInt32 = 3, filename: UInt32 = 4 }

    private struct FunctionKey: Hashable {
        var name: Int64
        var file: Int64
    }

    private(set) var proto = ProtobufWriter()
    private var strings: [String] = [""]
    private var stringIndex: [String: Int64] = ["": 0]
    private var functions: [FunctionKey] = []
    private var functionIndex: [FunctionKey: UInt64] = [:]
    /// Per location id - 1: its function id and line.
    private var locations: [(function: UInt64, line: Int64)] = []

    mutating func string(_ s: String) -> Int64 {
        if let i = stringIndex[s] { return i }
        let i = Int64(strings.count)
        strings.append(s)
        stringIndex[s] = i
        return i
    }

    /// A new location id for `name` (in `file`, at `line`).
    mutating func addLocation(name: String, file: String, line: Int64) -> UInt64 {
        let key = FunctionKey(name: string(name), file: string(file))
        let function: UInt64
        if let id = functionIndex[key] {
            function = id
        } else {
            functions.append(key)
            function = UInt64(functions.count)
            functionIndex[key] = function
        }
        locations.append((function, line))
        return UInt64(locations.count)
    }

    mutating func sampleTypes(_ names: [String], defaultType: String) {
        for name in names {
            let message = proto.beginMessage(Profile.sampleType)
            proto.int64(ValueType.type, string(name))
            proto.int64(ValueType.unit, string("nanoseconds"))
            proto.endMessage(message)
        }
        let period = proto.beginMessage(Profile.periodType)
        proto.int64(ValueType.type, string(defaultType))
        proto.int64(ValueType.unit, string("nanoseconds"))
        proto.endMessage(period)
        proto.int64(Profile.period, 1)
        proto.int64(Profile.defaultSampleType, string(defaultType))
    }

    /// One sample: its stack (leaf first), one value per sample type, string labels.
    mutating func sample(locations ids: [UInt64], values: [Int64], labels: [(key: String, value: String)]) {
        let sample = proto.beginMessage(Profile.sample)
        let packedIDs = proto.beginMessage(Sample.locationID)
        for id in ids { proto.rawVarint(id) }
        proto.endMessage(packedIDs)
        let packedValues = proto.beginMessage(Sample.value)
        for value in values { proto.rawVarint(UInt64(bitPattern: value)) }
        proto.endMessage(packedValues)
        for (key, value) in labels {
            let label = proto.beginMessage(Sample.label)
            proto.int64(Label.key, string(key))
            proto.int64(Label.str, string(value))
            proto.endMessage(label)
        }
        proto.endMessage(sample)
    }

    /// The tables, the times, and the string table (last: every string is known by then).
    mutating func finish(program: String, timeNanos: Int64?, durationNanos: Int64) {
        let mapping = proto.beginMessage(Profile.mapping)
        proto.uint64(Mapping.id, 1)
        proto.int64(Mapping.filename, string(program))
        proto.bool(Mapping.hasFunctions, true)
        proto.bool(Mapping.hasFilenames, true)
        proto.bool(Mapping.hasLineNumbers, true)
        proto.endMessage(mapping)
        for (i, location) in locations.enumerated() {
            let message = proto.beginMessage(Profile.location)
            proto.uint64(Location.id, UInt64(i + 1))
            proto.uint64(Location.mappingID, 1)
            let line = proto.beginMessage(Location.line)
            proto.uint64(Line.functionID, location.function)
            if location.line != 0 { proto.int64(Line.line, location.line) }
            proto.endMessage(line)
            proto.endMessage(message)
        }
        for (i, function) in functions.enumerated() {
            let message = proto.beginMessage(Profile.function)
            proto.uint64(Function.id, UInt64(i + 1))
            proto.int64(Function.name, function.name)
            proto.int64(Function.systemName, function.name)
            if function.file != 0 { proto.int64(Function.filename, function.file) }
            proto.endMessage(message)
        }
        if let timeNanos { proto.int64(Profile.timeNanos, timeNanos) }
        proto.int64(Profile.durationNanos, durationNanos)
        for s in strings { proto.string(Profile.stringTable, s) }
    }

    mutating func drain(into sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try proto.withBytes(sink)
        proto.removeAll()
    }

    var shouldDrain: Bool { proto.shouldDrain }
}
