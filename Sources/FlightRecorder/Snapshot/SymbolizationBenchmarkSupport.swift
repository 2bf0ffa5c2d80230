// What the symbolization benchmarks drive: the names and lines a snapshot writes for a set of
// distinct code addresses, cold (symbol and line tables not yet read) or warm. SPI: for the
// benchmarks package only, never for users.

import CFlightRecorder

@_spi(Benchmarks)
public enum SymbolizationBenchmarkSupport {
    /// `count` distinct return addresses, one inside each of `count` functions spread over the
    /// symbol table of the image this library is linked into (empty if it cannot be read).
    public static func returnAddresses(count: Int) -> [UInt] {
        var symbol: UnsafePointer<CChar>?
        var image: UnsafePointer<CChar>?
        var offset: UInt = 0
        let anchor = UInt(bitPattern: unsafeBitCast(fr_symbol_info as @convention(c) (UInt, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafeMutablePointer<UInt>) -> Bool, to: UnsafeRawPointer.self))
        guard fr_symbol_info(anchor, &symbol, &image, &offset), let image,
              let loaded = ElfSymbols.Image(path: String(cString: image)) else { return [] }
        let base = anchor - offset
        return loaded.functionStarts(count: count).map { start in
            // A return address is one past its call instruction, inside the function.
            (loaded.absolute ? UInt(start) : base + UInt(start)) + 2
        }
    }

    /// Symbolizes `pcs` as one stack, as a snapshot does; returns the number of strings added.
    public static func symbolize(_ pcs: [UInt]) -> Int {
        var strings: [(id: UInt64, string: String)] = []
        _ = Stacks.symbolize([pcs], firstStringID: 1, strings: &strings)
        return strings.count
    }

    /// Forgets every image's symbol table and every located address, as in a new process.
    public static func forgetImages() {
        ElfSymbols.shared.forget()
    }
}
