// File and line of code addresses, read from an image's DWARF line tables (`.debug_line`,
// versions 2 to 5): what a stack frame shows beside its function name.
//
// Invariants:
// - One pass over the line programs answers a whole batch of addresses: each row interval
//   [row, next row) of a sequence gives its file and line to the batch's addresses inside it.
//   Nothing but the answers is kept.
// - Addresses are those the line table states (link-time: offsets from the load base for a
//   position-independent image). Rows of line 0 (code with no source line) answer nothing, nor
//   does a sequence placed at a linker's tombstone address (0, or all ones and all ones but one:
//   the code of a function the linker discarded; no code lies at 0, where the ELF header is).
// - Malformed input ends the unit it is in (the next unit is found by its length) or, when the
//   unit's length itself is wrong, the whole pass; never a read out of bounds, never a crash.

/// A source position.
struct SourceLocation: Hashable, Sendable {
    var file: String
    var line: UInt32
}

/// The sections a line table refers to: the table itself and the two string sections its
/// file names may point into (DWARF 5's `.debug_line_str`, and `.debug_str`).
struct DwarfLineSections {
    var line: [UInt8]
    var lineStrings: [UInt8]
    var strings: [UInt8]
}

enum DwarfLines {
    /// The location of each of `addresses` (ascending, distinct) that a line table covers.
    static func locate(_ addresses: [UInt64], in sections: DwarfLineSections) -> [UInt64: SourceLocation] {
        guard !addresses.isEmpty else { return [:] }
        var found: [UInt64: SourceLocation] = [:]
        sections.line.withUnsafeBufferPointer { line in
            sections.lineStrings.withUnsafeBufferPointer { lineStrings in
                sections.strings.withUnsafeBufferPointer { strings in
                    addresses.withUnsafeBufferPointer { queries in
                        var units = DwarfCursor(line, from: 0, to: line.count)
                        while units.at < line.count {
                            var length = UInt64(units.fixed(UInt32.self))
                            var offsetSize = 4
                            if length == 0xFFFF_FFFF {
                                length = units.fixed(UInt64.self)
                                offsetSize = 8
                            }
                            guard units.ok, length > 0, length <= UInt64(line.count - units.at) else { return }
                            let end = units.at + Int(length)
                            var unit = LineUnit(cursor: DwarfCursor(line, from: units.at, to: end), offsetSize: offsetSize,
                                                lineStrings: lineStrings, strings: strings)
                            unit.run(queries, into: &found)
                            units.at = end
                        }
                    }
                }
            }
        }
        return found
    }
}

/// One line-number program: its header (file table, opcode parameters) and its rows.
private struct LineUnit {
    var cursor: DwarfCursor
    let offsetSize: Int
    let lineStrings: UnsafeBufferPointer<UInt8>
    let strings: UnsafeBufferPointer<UInt8>

    private var version: UInt16 = 0
    private var addressSize = 8
    private var minimumInstructionLength: UInt64 = 1
    private var lineBase: Int64 = 0
    private var lineRange: UInt8 = 1
    private var opcodeBase: UInt8 = 1
    private var standardOpcodeLengths: [UInt8] = []
    private var directories: [String] = []
    private var files: [(name: String, directory: Int)] = []
    private var paths: [Int: String] = [:]

    init(cursor: DwarfCursor, offsetSize: Int, lineStrings: UnsafeBufferPointer<UInt8>, strings: UnsafeBufferPointer<UInt8>) {
        self.cursor = cursor
        self.offsetSize = offsetSize
        self.lineStrings = lineStrings
        self.strings = strings
    }

    /// Reads the header, then runs the program, giving each query inside a row interval that
    /// row's location.
    mutating func run(_ queries: UnsafeBufferPointer<UInt64>, into found: inout [UInt64: SourceLocation]) {
        guard let programStart = readHeader(), programStart <= cursor.end else { return }
        cursor.at = programStart
        let first = queries[0], last = queries[queries.count - 1]

        var address: UInt64 = 0, file = 1, line: Int64 = 1
        var rowAddress: UInt64 = 0, rowFile = 0, rowLine: Int64 = 0, hasRow = false
        /// Whether the current sequence is placed at a tombstone address (see the header).
        var discarded = false
        let allOnes: UInt64 = addressSize == 4 ? UInt64(UInt32.max) : UInt64.max

        /// A row at the current registers: the interval since the previous row is now bounded.
        func emit(_ found: inout [UInt64: SourceLocation], _ unit: inout LineUnit) {
            if hasRow, !discarded, address > rowAddress, rowLine > 0, address > first, rowAddress <= last {
                var index = lowerBound(queries, rowAddress)
                while index < queries.count, queries[index] < address {
                    if let path = unit.path(rowFile) {
                        found[queries[index]] = SourceLocation(file: path, line: UInt32(clamping: rowLine))
                    }
                    index += 1
                }
            }
            rowAddress = address
            rowFile = file
            rowLine = line
            hasRow = true
        }

        while cursor.ok, cursor.at < cursor.end {
            let opcode = cursor.u8()
            if opcode >= opcodeBase {
                let adjusted = UInt64(opcode - opcodeBase)
                address &+= (adjusted / UInt64(lineRange)) &* minimumInstructionLength
                line += lineBase + Int64(adjusted % UInt64(lineRange))
                emit(&found, &self)
                continue
            }
            switch opcode {
            case 0:
                let length = cursor.uleb()
                let start = cursor.at
                guard cursor.ok, length > 0, length <= UInt64(cursor.end - start) else { return }
                switch cursor.u8() {
                case 1:  // DW_LNE_end_sequence
                    emit(&found, &self)
                    hasRow = false
                    discarded = false
                    address = 0
                    file = 1
                    line = 1
                case 2:  // DW_LNE_set_address
                    address = addressSize == 4 ? UInt64(cursor.fixed(UInt32.self)) : cursor.fixed(UInt64.self)
                    discarded = address == 0 || address >= allOnes - 1
                case 3:  // DW_LNE_define_file (DWARF 2-4)
                    let name = cursor.cString()
                    files.append((name, Int(cursor.uleb())))
                default:
                    break
                }
                cursor.at = start + Int(length)
            case 1:  // DW_LNS_copy
                emit(&found, &self)
            case 2:  // DW_LNS_advance_pc
                address &+= cursor.uleb() &* minimumInstructionLength
            case 3:  // DW_LNS_advance_line
                line += cursor.sleb()
            case 4:  // DW_LNS_set_file
                file = Int(truncatingIfNeeded: cursor.uleb())
            case 8:  // DW_LNS_const_add_pc
                address &+= (UInt64(255 - opcodeBase) / UInt64(lineRange)) &* minimumInstructionLength
            case 9:  // DW_LNS_fixed_advance_pc
                address &+= UInt64(cursor.fixed(UInt16.self))
            default:
                // Other standard opcodes (column, flags, ISA) change nothing we read: skip their
                // operands, whose count the header gives.
                for _ in 0..<standardOpcodeLengths[Int(opcode)] { _ = cursor.uleb() }
            }
        }
    }

    /// Reads the header; returns where the program starts, or nil if the unit is unreadable.
    private mutating func readHeader() -> Int? {
        version = cursor.fixed(UInt16.self)
        guard (2...5).contains(version) else { return nil }
        if version >= 5 {
            addressSize = Int(cursor.u8())
            _ = cursor.u8()  // segment selector size
        }
        let headerLength = offsetSize == 8 ? cursor.fixed(UInt64.self) : UInt64(cursor.fixed(UInt32.self))
        guard cursor.ok, headerLength <= UInt64(cursor.end - cursor.at) else { return nil }
        let programStart = cursor.at + Int(headerLength)
        minimumInstructionLength = UInt64(cursor.u8())
        if version >= 4 { _ = cursor.u8() }  // maximum operations per instruction (VLIW only)
        _ = cursor.u8()  // default is_stmt
        lineBase = Int64(Int8(bitPattern: cursor.u8()))
        lineRange = cursor.u8()
        opcodeBase = cursor.u8()
        guard cursor.ok, lineRange > 0, opcodeBase > 0, addressSize == 4 || addressSize == 8 else { return nil }
        standardOpcodeLengths = [UInt8](repeating: 0, count: Int(opcodeBase))
        for i in 1..<Int(opcodeBase) { standardOpcodeLengths[i] = cursor.u8() }
        if version >= 5 {
            guard let directoryEntries = readEntries(), let fileEntries = readEntries() else { return nil }
            directories = directoryEntries.map(\.name)
            files = fileEntries
        } else {
            // DWARF 2-4: directory 0 and file 0 are the unit's own (not listed); files count from 1.
            directories.append("")
            while cursor.ok, cursor.at < cursor.end, cursor.peek() != 0 { directories.append(cursor.cString()) }
            _ = cursor.u8()
            files.append(("", 0))
            while cursor.ok, cursor.at < cursor.end, cursor.peek() != 0 {
                let name = cursor.cString()
                let directory = Int(truncatingIfNeeded: cursor.uleb())
                _ = cursor.uleb()  // modification time
                _ = cursor.uleb()  // length
                files.append((name, directory))
            }
            _ = cursor.u8()
        }
        return cursor.ok ? programStart : nil
    }

    /// DWARF 5 directory or file entries: a format (content type and form per field), a count,
    /// then the entries.
    private mutating func readEntries() -> [(name: String, directory: Int)]? {
        let formatCount = Int(cursor.u8())
        var format: [(type: UInt64, form: UInt64)] = []
        for _ in 0..<formatCount { format.append((cursor.uleb(), cursor.uleb())) }
        let count = cursor.uleb()
        guard cursor.ok, count <= UInt64(cursor.end - cursor.at) else { return nil }
        var entries: [(name: String, directory: Int)] = []
        for _ in 0..<count {
            var path = "", directory = 0
            for field in format {
                guard let value = readForm(field.form) else { return nil }
                switch field.type {
                case 1: path = value.string ?? ""  // DW_LNCT_path
                case 2: directory = Int(truncatingIfNeeded: value.number)  // DW_LNCT_directory_index
                default: break
                }
            }
            entries.append((path, directory))
        }
        return cursor.ok ? entries : nil
    }

    /// A field of an entry, by its form; nil for a form a line table does not use.
    private mutating func readForm(_ form: UInt64) -> (string: String?, number: UInt64)? {
        switch form {
        case 0x08: return (cursor.cString(), 0)  // DW_FORM_string
        case 0x1F: return (DwarfCursor.string(in: lineStrings, at: offset()), 0)  // DW_FORM_line_strp
        case 0x0E: return (DwarfCursor.string(in: strings, at: offset()), 0)  // DW_FORM_strp
        case 0x0F: return (nil, cursor.uleb())  // DW_FORM_udata
        case 0x0B: return (nil, UInt64(cursor.u8()))  // DW_FORM_data1
        case 0x05: return (nil, UInt64(cursor.fixed(UInt16.self)))  // DW_FORM_data2
        case 0x06: return (nil, UInt64(cursor.fixed(UInt32.self)))  // DW_FORM_data4
        case 0x07: return (nil, cursor.fixed(UInt64.self))  // DW_FORM_data8
        case 0x1E: cursor.skip(16); return (nil, 0)  // DW_FORM_data16 (an MD5)
        case 0x09: cursor.skip(Int(clamping: cursor.uleb())); return (nil, 0)  // DW_FORM_block
        default: return nil
        }
    }

    private mutating func offset() -> Int {
        Int(clamping: offsetSize == 8 ? cursor.fixed(UInt64.self) : UInt64(cursor.fixed(UInt32.self)))
    }

    /// The path of file `index`: its directory joined with its name, unless the name is absolute.
    private mutating func path(_ index: Int) -> String? {
        if let known = paths[index] { return known }
        guard index >= 0, index < files.count, !files[index].name.isEmpty else { return nil }
        let (name, directory) = files[index]
        var path = name
        if !name.hasPrefix("/"), directory >= 0, directory < directories.count, !directories[directory].isEmpty {
            path = directories[directory] + "/" + name
        }
        paths[index] = path
        return path
    }
}

/// The first index of `queries` (ascending) not below `value`.
private func lowerBound(_ queries: UnsafeBufferPointer<UInt64>, _ value: UInt64) -> Int {
    var low = 0, high = queries.count
    while low < high {
        let mid = (low + high) / 2
        if queries[mid] < value { low = mid + 1 } else { high = mid }
    }
    return low
}

/// Reads DWARF's encodings from a byte range. A read past the end sets `ok` to false and
/// yields zero: callers check `ok` where continuing would matter.
struct DwarfCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var at: Int
    let end: Int
    private(set) var ok = true

    init(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to end: Int) {
        self.bytes = bytes
        self.at = from
        self.end = min(end, bytes.count)
    }

    func peek() -> UInt8 { at < end ? bytes[at] : 0 }

    mutating func u8() -> UInt8 {
        guard at < end else {
            ok = false
            return 0
        }
        at += 1
        return bytes[at - 1]
    }

    mutating func fixed<T: FixedWidthInteger>(_: T.Type) -> T {
        let size = MemoryLayout<T>.size
        guard at + size <= end else {
            ok = false
            at = end
            return 0
        }
        let value = UnsafeRawBufferPointer(bytes).loadUnaligned(fromByteOffset: at, as: T.self)
        at += size
        return T(littleEndian: value)
    }

    mutating func uleb() -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let byte = u8()
            guard ok else { return 0 }
            if shift < 64 { value |= UInt64(byte & 0x7F) << shift }
            shift += 7
            if byte & 0x80 == 0 { return value }
        }
    }

    mutating func sleb() -> Int64 {
        var value: UInt64 = 0, shift: UInt64 = 0, byte: UInt8 = 0
        repeat {
            byte = u8()
            guard ok else { return 0 }
            if shift < 64 { value |= UInt64(byte & 0x7F) << shift }
            shift += 7
        } while byte & 0x80 != 0
        if shift < 64, byte & 0x40 != 0 { value |= ~0 << shift }
        return Int64(bitPattern: value)
    }

    mutating func cString() -> String {
        let start = at
        while at < end, bytes[at] != 0 { at += 1 }
        guard at < end else {
            ok = false
            return ""
        }
        at += 1
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(at - 1)]), as: UTF8.self)
    }

    mutating func skip(_ count: Int) {
        guard count >= 0, count <= end - at else {
            ok = false
            at = end
            return
        }
        at += count
    }

    /// The NUL-terminated string at `offset` of a string section ("" when out of it).
    static func string(in table: UnsafeBufferPointer<UInt8>, at offset: Int) -> String {
        guard offset >= 0, offset < table.count else { return "" }
        var end = offset
        while end < table.count, table[end] != 0 { end += 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: table[offset..<end]), as: UTF8.self)
    }
}
