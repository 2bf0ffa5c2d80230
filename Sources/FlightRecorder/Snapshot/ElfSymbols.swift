// Function names of the loaded images, read from their ELF symbol tables: what `dladdr` cannot
// name (SwiftPM links executables without --export-dynamic, so almost no Swift function of the
// application is in the dynamic symbol table that dladdr reads); and file and line, from their
// DWARF line tables where the image has them (SwiftPM builds with -g in both configurations).
//
// Invariants:
// - Used only when a snapshot is written (off the recording path); each image's file is read
//   once per process (its section headers, then its `.symtab`, else `.dynsym`, and that
//   table's string table, with pread: never the whole file), and kept.
// - Addresses: a position-independent image (ET_DYN: shared libraries, PIE executables) maps
//   its symbol values at the image's load base; a fixed-address executable (ET_EXEC) at 0.
// - Anything unexpected (not ELF64 little-endian, a table out of the file, no symbols) makes
//   the image unknown: its addresses stay unnamed (written as image+offset), never a crash.
// - Line tables are read per batch of addresses not located before (each snapshot's new ones)
//   and dropped; what they answered is kept, at most `maxLocations` per image. Compressed
//   debug sections are not read (their addresses have no file and line).

#if canImport(Glibc)
import Glibc
#endif

final class ElfSymbols: @unchecked Sendable {
    // @unchecked Sendable: `images` is read and written only under `lock`; an `Image` is
    // immutable once built.
    static let shared = ElfSymbols()

    static let maxLocations = 1 << 16

    private let lock = RecorderLock()
    private var images: [String: Image?] = [:]
    /// Per image path: addresses located before, with their location (nil: none found).
    private var locations: [String: [UInt64: SourceLocation?]] = [:]

    private func image(_ path: String) -> Image? {
        lock.withLock { () -> Image? in
            if let known = images[path] { return known }
            let loaded = Image(path: path)
            images[path] = loaded
            return loaded
        }
    }

    /// Forgets every image and location (the symbolization benchmarks' cold start).
    func forget() {
        lock.withLock {
            images = [:]
            locations = [:]
        }
    }

    /// The mangled name of the function containing `pc`, `offset` bytes past the load base of
    /// the image at `path`.
    func name(image path: String, pc: UInt, offset: UInt) -> String? {
        guard let image = image(path) else { return nil }
        return image.name(at: image.address(pc: pc, offset: offset))
    }

    /// File and line of code addresses of the image at `path`, each given as its `pc` and its
    /// `offset` past the image's load base; the answer is keyed by pc.
    func locations(image path: String, _ addresses: [(pc: UInt, offset: UInt)]) -> [UInt: SourceLocation] {
        guard let image = image(path), image.debugLine != nil else { return [:] }
        let known = lock.withLock { locations[path] ?? [:] }
        var answer: [UInt: SourceLocation] = [:]
        var unknown: [UInt64: UInt] = [:]
        for (pc, offset) in addresses {
            let address = image.address(pc: pc, offset: offset)
            if let location = known[address] {
                if let location { answer[pc] = location }
            } else {
                unknown[address] = pc
            }
        }
        guard !unknown.isEmpty else { return answer }
        let found = image.readLineSections().map { DwarfLines.locate(unknown.keys.sorted(), in: $0) } ?? [:]
        for (address, pc) in unknown { if let location = found[address] { answer[pc] = location } }
        lock.withLock {
            var table = locations[path] ?? [:]
            for address in unknown.keys where table.count < Self.maxLocations { table[address] = found[address] }
            locations[path] = table
        }
        return answer
    }

    final class Image: Sendable {
        private let path: String
        private let symbols: [(start: UInt64, end: UInt64, name: Int)]
        private let names: [UInt8]
        /// Symbol values are absolute addresses (ET_EXEC), not offsets from the load base.
        let absolute: Bool
        /// File ranges of `.debug_line`, `.debug_line_str` and `.debug_str` (empty when absent).
        let debugLine: Range<UInt64>?
        private let debugLineStrings: Range<UInt64>
        private let debugStrings: Range<UInt64>

        /// `pc` as this image's symbol values and line tables state addresses.
        func address(pc: UInt, offset: UInt) -> UInt64 { absolute ? UInt64(pc) : UInt64(offset) }

        init?(path: String) {
            #if canImport(Glibc)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            func read(_ offset: UInt64, _ count: Int) -> [UInt8]? {
                guard count >= 0, count < 1 << 30 else { return nil }
                var bytes = [UInt8](repeating: 0, count: count)
                let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
                return n == count ? bytes : nil
            }
            guard let header = read(0, 64), header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46,
                  header[4] == 2, header[5] == 1 else { return nil }
            let type = header.u16(16)
            let sectionOffset = header.u64(40), sectionSize = Int(header.u16(58)), sectionCount = Int(header.u16(60))
            guard sectionSize >= 64, let sections = read(sectionOffset, sectionSize * sectionCount) else { return nil }
            func section(_ i: Int) -> (type: UInt32, offset: UInt64, size: UInt64, link: Int, name: Int, flags: UInt64) {
                let at = i * sectionSize
                return (sections.u32(at + 4), sections.u64(at + 24), sections.u64(at + 32), Int(sections.u32(at + 40)),
                        Int(sections.u32(at)), sections.u64(at + 8))
            }
            // SHT_SYMTAB (2) when the file has one, else SHT_DYNSYM (11).
            let tables = (0..<sectionCount).map(section)
            guard let table = tables.first(where: { $0.type == 2 }) ?? tables.first(where: { $0.type == 11 }),
                  table.link < sectionCount, table.size < 1 << 30,
                  let entries = read(table.offset, Int(table.size)),
                  let strings = read(tables[table.link].offset, Int(tables[table.link].size)) else { return nil }
            var symbols: [(start: UInt64, end: UInt64, name: Int)] = []
            symbols.reserveCapacity(entries.count / 24)
            var at = 0
            while at + 24 <= entries.count {
                let info = entries[at + 4], value = entries.u64(at + 8), size = entries.u64(at + 16)
                let name = Int(entries.u32(at))
                // STT_FUNC with an address and a name inside the string table.
                if info & 0xF == 2, value != 0, name > 0, name < strings.count {
                    symbols.append((value, value &+ max(size, 1), name))
                }
                at += 24
            }
            guard !symbols.isEmpty else { return nil }
            symbols.sort { $0.start < $1.start }
            self.path = path
            self.symbols = symbols
            self.names = strings
            self.absolute = type == 2
            // Debug sections by name (section names are in the section e_shstrndx names).
            var debug: [String: Range<UInt64>] = [:]
            let namesIndex = Int(header.u16(62))
            if namesIndex < sectionCount, tables[namesIndex].size < 1 << 20,
               let sectionNames = read(tables[namesIndex].offset, Int(tables[namesIndex].size)) {
                for table in tables where table.name < sectionNames.count && table.flags & 0x800 == 0 {  // not SHF_COMPRESSED
                    var end = table.name
                    while end < sectionNames.count && sectionNames[end] != 0 { end += 1 }
                    let name = String(decoding: sectionNames[table.name..<end], as: UTF8.self)
                    if name == ".debug_line" || name == ".debug_line_str" || name == ".debug_str" {
                        debug[name] = table.offset..<(table.offset &+ table.size)
                    }
                }
            }
            self.debugLine = debug[".debug_line"]
            self.debugLineStrings = debug[".debug_line_str"] ?? 0..<0
            self.debugStrings = debug[".debug_str"] ?? 0..<0
            #else
            return nil
            #endif
        }

        /// The line table and its string sections, read from the file now (nil if unreadable).
        func readLineSections() -> DwarfLineSections? {
            #if canImport(Glibc)
            guard let debugLine else { return nil }
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            func read(_ range: Range<UInt64>) -> [UInt8]? {
                let count = Int(range.upperBound - range.lowerBound)
                guard count < 1 << 30 else { return nil }
                var bytes = [UInt8](repeating: 0, count: count)
                let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(range.lowerBound)) }
                return n == count ? bytes : nil
            }
            guard let line = read(debugLine), let lineStrings = read(debugLineStrings),
                  let strings = read(debugStrings) else { return nil }
            return DwarfLineSections(line: line, lineStrings: lineStrings, strings: strings)
            #else
            return nil
            #endif
        }

        /// The start addresses of `count` functions spread evenly over the symbol table.
        func functionStarts(count: Int) -> [UInt64] {
            guard count > 0 else { return [] }
            let step = max(1, symbols.count / count)
            return stride(from: 0, to: symbols.count, by: step).prefix(count).map { symbols[$0].start }
        }

        /// The name of the function containing `address` (a symbol value of this image).
        func name(at address: UInt64) -> String? {
            var low = 0, high = symbols.count
            while low < high {
                let mid = (low + high) / 2
                if symbols[mid].start <= address { low = mid + 1 } else { high = mid }
            }
            guard low > 0, address < symbols[low - 1].end else { return nil }
            let start = symbols[low - 1].name
            var end = start
            while end < names.count && names[end] != 0 { end += 1 }
            return String(decoding: names[start..<end], as: UTF8.self)
        }
    }
}

/// Little-endian fields of an ELF64 file read into memory (bounds are the caller's checks).
private extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt16 { field(at) }
    func u32(_ at: Int) -> UInt32 { field(at) }
    func u64(_ at: Int) -> UInt64 { field(at) }

    private func field<T: FixedWidthInteger>(_ at: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: T.self)) }
    }
}
