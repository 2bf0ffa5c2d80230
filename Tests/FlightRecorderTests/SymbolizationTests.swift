// Symbolization of captured stacks at snapshot time: functions of the test executable that
// dladdr cannot name (a plain function, a closure, a generic method) get their demangled,
// shortened names and the file and line of the call from the executable's line table; an
// address no symbol covers is written as image and offset; an address in no image is unknown.

#if canImport(Glibc)
import Glibc
#endif
import CFlightRecorder
@testable import FlightRecorder
import Testing
import TraceFormat

/// Return addresses of the caller's stack (leaf first), taken while recording.
@inline(never)
func capturedStack() -> [UInt] {
    let id = Stacks.capture()
    guard id != 0 else { return [] }
    return StackTable.shared.all()[Int(id - 1)]
}

/// Where the calls below are, for the line check.
enum CallSites {
    nonisolated(unsafe) static var plain: UInt = 0
    nonisolated(unsafe) static var closure: UInt = 0
    nonisolated(unsafe) static var generic: UInt = 0
}

@inline(never)
func stackOfPlainFunction() -> [UInt] {
    CallSites.plain = #line + 1
    return capturedStack()
}

@inline(never)
func stackOfClosure() -> [UInt] {
    let body: () -> [UInt] = {
        CallSites.closure = #line + 1
        return capturedStack()
    }
    return body()
}

struct Shelf<Item> {
    @inline(never)
    func stackOfGenericMethod(_ item: Item) -> [UInt] {
        CallSites.generic = #line + 1
        return capturedStack()
    }
}

extension Recorder {
    @Suite struct Symbolization {
        /// The symbolized stack of `pcs`: its frames' function names, files and lines.
        static func symbolized(_ pcs: [UInt]) -> [(function: String, file: String, line: UInt64)] {
            var strings: [(id: UInt64, string: String)] = []
            let stacks = Stacks.symbolize([pcs], firstStringID: 1, strings: &strings)
            let names = Dictionary(strings.map { ($0.id, $0.string) }, uniquingKeysWith: { a, _ in a })
            return stacks[0].frames.map { (names[$0.function] ?? "", names[$0.file] ?? "", $0.line) }
        }

        static func recording<R>(_ body: () throws -> R) throws -> R {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            return try body()
        }

        @Test("a function, a closure and a generic method of the executable are named, with the file and line of the call",
              arguments: ["plain", "closure", "generic"])
        func namedWithFileAndLine(_ kind: String) throws {
            let pcs = try Self.recording {
                switch kind {
                case "plain": stackOfPlainFunction()
                case "closure": stackOfClosure()
                default: Shelf<Int>().stackOfGenericMethod(1)
                }
            }
            let frames = Self.symbolized(pcs)
            let (expected, line) = switch kind {
            case "plain": ("stackOfPlainFunction()", CallSites.plain)
            case "closure": ("closure #1 in FlightRecorderTests.stackOfClosure()", CallSites.closure)
            default: ("Shelf.stackOfGenericMethod(_:)", CallSites.generic)
            }
            // The capture function itself is the recorder's test support, then the call site.
            let frame = try #require(frames.first { $0.function.contains(expected) }, "\(frames.map(\.function))")
            #expect(frame.file.hasSuffix("Tests/FlightRecorderTests/SymbolizationTests.swift"), "\(frame.file)")
            #expect(frame.line == UInt64(line), "\(frame)")
        }

        @Test("an address inside an image but in no function is its image and offset")
        func addressInNoFunction() throws {
            var symbol: UnsafePointer<CChar>?
            var image: UnsafePointer<CChar>?
            var offset: UInt = 0
            let function = UInt(bitPattern: unsafeBitCast(symbolizedFunction as @convention(c) () -> Int, to: UnsafeRawPointer.self))
            #expect(fr_symbol_info(function, &symbol, &image, &offset))
            let base = function - offset
            // The ELF header, mapped at the load base, is in no function. Return address + 1.
            let frames = Self.symbolized([base + 0x11])
            let name = try #require(frames.first?.function)
            #expect(name.hasSuffix(".xctest+0x11") || name.hasSuffix("PackageTests+0x11"), "\(name)")
            #expect(frames.first?.file == "" && frames.first?.line == 0)
        }

        @Test("damaged line tables (cut short, bytes changed) give what they can and never crash")
        func damagedLineTables() throws {
            var symbol: UnsafePointer<CChar>?
            var image: UnsafePointer<CChar>?
            var offset: UInt = 0
            let function = UInt(bitPattern: unsafeBitCast(symbolizedFunction as @convention(c) () -> Int, to: UnsafeRawPointer.self))
            #expect(fr_symbol_info(function, &symbol, &image, &offset))
            let path = String(cString: try #require(image))
            let loaded = try #require(ElfSymbols.Image(path: path))
            let sections = try #require(loaded.readLineSections(), "the test executable has a line table")
            // The first units of the table, and addresses spread over the image.
            let intact = DwarfLineSections(line: Array(sections.line.prefix(1 << 16)), lineStrings: sections.lineStrings,
                                           strings: sections.strings)
            let addresses = loaded.functionStarts(count: 2_000).map { $0 + 1 }
            #expect(!DwarfLines.locate(addresses, in: intact).isEmpty, "the intact units locate some addresses")
            var random = SplitMix(seed: 0x5EED)
            for round in 0..<200 {
                var damaged = intact
                if round % 4 == 0 {
                    damaged.line = Array(damaged.line.prefix(Int(random.next() % UInt64(damaged.line.count))))
                } else {
                    for _ in 0..<(1 + round % 8) {
                        let at = Int(random.next() % UInt64(damaged.line.count))
                        damaged.line[at] = UInt8(truncatingIfNeeded: random.next())
                    }
                }
                _ = DwarfLines.locate(addresses, in: damaged)
            }
        }

        @Test("an image whose file cannot be read as ELF names nothing: its addresses stay image and offset")
        func unreadableImages() throws {
            #expect(ElfSymbols.Image(path: "/nonexistent/libgone.so") == nil)
            #expect(ElfSymbols.Image(path: "/proc/self/status") == nil, "not ELF")
            #expect(ElfSymbols.shared.name(image: "/nonexistent/libgone.so", pc: 0x1234, offset: 0x234) == nil)
            #expect(ElfSymbols.shared.locations(image: "/nonexistent/libgone.so", [(0x1234, 0x234)]).isEmpty)
        }

        @Test("an address in no image is unknown: no name, no file")
        func addressInNoImage() {
            let frames = Self.symbolized([16])
            #expect(frames.count == 1)
            #expect(frames.first?.function == "" && frames.first?.file == "" && frames.first?.line == 0)
        }
    }
}

/// A deterministic pseudo-random sequence (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
