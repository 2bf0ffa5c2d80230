// Captured call stacks (when the configuration asks for them): frame-pointer walks interned
// into a process-wide table of stack ids, symbolized only when a snapshot is written.
//
// Invariants:
// - Stack ids start at 1 (0: no stack) and are never reused; the table holds at most
//   `maxStacks` distinct stacks, after which captures return 0 (no stack).
// - A stack is identified by a 64-bit hash of its return addresses; the per-thread cache maps
//   hash to id without a lock, the table (under its lock) checks the addresses themselves.
// - Capture walks only the current thread's stack (async callers are not on it), starting above
//   the capture function; when symbols are available (dladdr: shared libraries, executables
//   linked with --export-dynamic), leading frames of the recorder itself (the non-inlined
//   `Trace` wrappers of debug builds) are trimmed when the snapshot symbolizes the stack.
//   Unnamed functions are written as `image+0xoffset` for offline symbolization.

import CFlightRecorder
import TraceFormat

final class StackTable: @unchecked Sendable {
    // @unchecked Sendable: `byHash` and `stacks` are accessed only under `lock`.
    static let shared = StackTable()
    static let maxStacks = 1 << 16
    static let maxFrames = 48

    private let lock = RecorderLock()
    private var byHash: [UInt64: [UInt64]] = [:]
    private var stacks: [[UInt]] = []

    func intern(hash: UInt64, pcs: UnsafeBufferPointer<UInt>) -> UInt64 {
        lock.withLock {
            for id in byHash[hash] ?? [] where stacks[Int(id - 1)].elementsEqual(pcs) { return id }
            guard stacks.count < Self.maxStacks else { return 0 }
            stacks.append(Array(pcs))
            let id = UInt64(stacks.count)
            byHash[hash, default: []].append(id)
            return id
        }
    }

    /// Every stack, id `i + 1` at index `i`.
    func all() -> [[UInt]] { lock.withLock { stacks } }
}

@usableFromInline
enum Stacks {
    /// The calling thread's stack as a stack id (0 when not recording or not capturable).
    @usableFromInline @inline(never)
    static func capture() -> UInt64 {
        guard let s = Emit.reserve() else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt.self, capacity: StackTable.maxFrames) { buffer -> UInt64 in
            let n = fr_capture_stack(s, buffer.baseAddress!, StackTable.maxFrames)
            guard n > 0 else { return 0 }
            return intern(UnsafeBufferPointer(rebasing: buffer[0..<n]), s)
        }
    }

    /// The stack id of return addresses `pcs` (leaf first), through the thread's cache.
    static func intern(_ pcs: UnsafeBufferPointer<UInt>, _ s: UnsafeMutablePointer<fr_thread_state>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for pc in pcs {
            hash = (hash ^ UInt64(pc)) &* 0x0000_0100_0000_01B3
            hash ^= hash >> 29
        }
        let cached = fr_stack_cache_lookup(s, hash)
        if cached != 0 { return cached }
        let id = StackTable.shared.intern(hash: hash, pcs: pcs)
        if id != 0 { fr_stack_cache_store(s, hash, id) }
        return id
    }

    /// The stacks frame entries for a snapshot, with function and file names added to
    /// `strings` as snapshot-local ids after `firstStringID - 1`. Leading frames inside the
    /// recorder are dropped; functions that cannot be named get id 0 (readers show the
    /// address); file and line are those of the call (the return address's instruction) where
    /// the image has a line table, else 0.
    static func symbolize(_ stacks: [[UInt]], firstStringID: UInt64,
                          strings: inout [(id: UInt64, string: String)]) -> [(id: UInt64, frames: [SnapshotStackFrame])] {
        var table = SnapshotStrings(next: firstStringID)
        // Each distinct address is named once: stacks share most of their frames.
        var functions: [UInt: (id: UInt64, isRecorder: Bool)] = [:]
        var byImage: [String: [(pc: UInt, offset: UInt)]] = [:]
        for pcs in stacks {
            for pc in pcs where functions[pc] == nil {
                functions[pc] = function(pc, &table, &byImage)
            }
        }
        var lines: [UInt: (file: UInt64, line: UInt64)] = [:]
        for (image, addresses) in byImage {
            for (pc, location) in ElfSymbols.shared.locations(image: image, addresses) {
                lines[pc &+ 1] = (table.id(location.file), UInt64(location.line))
            }
        }
        var out: [(id: UInt64, frames: [SnapshotStackFrame])] = []
        for (index, pcs) in stacks.enumerated() {
            var frames: [SnapshotStackFrame] = []
            var leading = true
            for pc in pcs {
                let (id, isRecorder) = functions[pc] ?? (0, false)
                if leading && isRecorder { continue }
                leading = false
                let line = lines[pc]
                frames.append(SnapshotStackFrame(pc: UInt64(pc), function: id, file: line?.file ?? 0, line: line?.line ?? 0))
            }
            out.append((UInt64(index + 1), frames))
        }
        strings.append(contentsOf: table.added)
        return out
    }

    /// The function containing the call that returns to `pc`, named (id 0: unknown), and
    /// whether it is the recorder's own; its address is added to `byImage` for file and line.
    private static func function(_ pc: UInt, _ table: inout SnapshotStrings,
                                 _ byImage: inout [String: [(pc: UInt, offset: UInt)]]) -> (id: UInt64, isRecorder: Bool) {
        var symbol: UnsafePointer<CChar>?
        var image: UnsafePointer<CChar>?
        var offset: UInt = 0
        // pc - 1: a return address may be the first byte of the next function.
        guard fr_symbol_info(pc &- 1, &symbol, &image, &offset) else { return (0, false) }
        let path = image.map { String(cString: $0) }
        if let path { byImage[path, default: []].append((pc &- 1, offset)) }
        var isRecorder = false
        let text: String
        // dladdr names exported functions only; the image's symbol table names the rest.
        let symbolName = symbol.map { String(cString: $0) }
            ?? path.flatMap { ElfSymbols.shared.name(image: $0, pc: pc &- 1, offset: offset) }
        if let mangled = symbolName {
            isRecorder = mangled.hasPrefix("$s14FlightRecorder") || mangled.hasPrefix("fr_")
            if let demangled = fr_demangle(mangled) {
                // C++ names (the concurrency runtime's) as demangled; Swift names shortened.
                let name = String(cString: demangled)
                text = mangled.hasPrefix("_Z") ? name : SwiftSymbolName.simplified(name)
                free(demangled)
            } else {
                text = mangled
            }
        } else if let path {
            // No symbol covers it: image and offset, for addr2line or llvm-symbolizer later.
            let file = path.split(separator: "/").last.map(String.init) ?? path
            text = "\(file)+0x\(String(UInt(offset) &+ 1, radix: 16))"
        } else {
            return (0, false)
        }
        return (table.id(text), isRecorder)
    }
}

/// Strings a snapshot's stacks frame adds to its strings frame, each once.
private struct SnapshotStrings {
    var next: UInt64
    var ids: [String: UInt64] = [:]
    var added: [(id: UInt64, string: String)] = []

    mutating func id(_ text: String) -> UInt64 {
        if let known = ids[text] { return known }
        let id = next
        next += 1
        ids[text] = id
        added.append((id, text))
        return id
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
