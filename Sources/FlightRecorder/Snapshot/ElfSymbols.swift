// Function names of the loaded images, read from their ELF symbol tables: what `dladdr` cannot
// name (SwiftPM links executables without --export-dynamic, so almost no Swift function of the
// application is in the dynamic symbol table that dladdr reads).
//
// Invariants:
// - Used only when a snapshot is written (off the recording path); each image's file is read
//   once per process (its section headers, then its `.symtab`, else `.dynsym`, and that
//   table's string table, with pread: never the whole file), and kept.
// - Addresses: a position-independent image (ET_DYN: shared libraries, PIE executables) maps
//   its symbol values at the image's load base; a fixed-address executable (ET_EXEC) at 0.
// - Anything unexpected (not ELF64 little-endian, a table out of the file, no symbols) makes
//   the image unknown: its addresses stay unnamed (written as image+offset), never a crash.

#if canImport(Glibc)
import Glibc
#endif

final class ElfSymbols: @unchecked Sendable {
    // @unchecked Sendable: `images` is read and written only under `lock`; an `Image` is
    // immutable once built.
    static let shared = ElfSymbols()

    private let lock = RecorderLock()
    private var images: [String: Image?] = [:]

    /// The mangled name of the function containing `pc`, `offset` bytes past the load base of
    /// the image at `path`.
    func name(image path: String, pc: UInt, offset: UInt) -> String? {
        let image = lock.withLock { () -> Image? in
            if let known = images[path] { return known }
            let loaded = Image(path: path)
            images[path] = loaded
            return loaded
        }
        guard let image else { return nil }
        return image.name(at: image.absolute ? UInt64(pc) : UInt64(offset))
    }

    final class Image: Sendable {
        private let symbols: [(start: UInt64, end: UInt64, name: Int)]
        private let names: [UInt8]
        /// Symbol values are absolute addresses (ET_EXEC), not offsets from the load base.
        let absolute: Bool

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
            func section(_ i: Int) -> (type: UInt32, offset: UInt64, size: UInt64, link: Int) {
                let at = i * sectionSize
                return (sections.u32(at + 4), sections.u64(at + 24), sections.u64(at + 32), Int(sections.u32(at + 40)))
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
            self.symbols = symbols
            self.names = strings
            self.absolute = type == 2
            #else
            return nil
            #endif
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
