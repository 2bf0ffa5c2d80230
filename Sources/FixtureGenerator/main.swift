// FixtureGenerator: writes the snapshots under Fixtures/ through the real encoder.
//
//   swift run FixtureGenerator                 rewrite Fixtures/*.out (deterministic)
//   swift run FixtureGenerator --check         exit 1 if a committed fixture differs
//   swift run -c release FixtureGenerator --large 1GiB big.out
//                                              a large snapshot for benchmarks (not committed)

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SyntheticTraces
import TraceFormat

func packageRoot() -> String {
    var dir = #filePath
    for _ in 0..<3 { dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)]) }
    return dir
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let tmp = path + ".tmp"
    guard let f = fopen(tmp, "wb") else { throw IOError("\(tmp): \(String(cString: strerror(errno)))") }
    let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
    guard n == bytes.count, rename(tmp, path) == 0 else { throw IOError("\(path): write failed") }
}

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n == 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}

/// Writes a line to standard error (fd 2 directly: the C `stderr` global is not Sendable).
func printError(_ line: String) {
    let text = line + "\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

func parseSize(_ s: String) -> Int? {
    let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
    for (u, m) in units where s.hasSuffix(u) {
        return Int(s.dropLast(u.count)).map { $0 * m }
    }
    return Int(s)
}


let usage = """
    usage: FixtureGenerator              rewrite Fixtures/*.out
           FixtureGenerator --check      exit 1 if a committed fixture differs
           FixtureGenerator --large SIZE PATH   (SIZE like 1GiB, 200MiB)
    """

let args = Array(CommandLine.arguments.dropFirst())
// Anything else (`--help` included) prints the usage and writes nothing: rewriting the
// committed fixtures is never a side effect of a mistyped option.
if let first = args.first, first != "--large", first != "--check" || args.count > 1 {
    printError(usage)
    exit(first == "--help" || first == "-h" ? 0 : 2)
}
do {
    if args.first == "--large" {
        guard args.count == 3, let size = parseSize(args[1]) else {
            printError("usage: FixtureGenerator --large SIZE PATH   (SIZE like 1GiB, 200MiB)")
            exit(2)
        }
        let stats = try LargeSnapshot.write(path: args[2], targetBytes: size)
        let centiBytes = stats.fileBytes * 100 / max(1, stats.events)
        print("wrote \(args[2]): \(stats.fileBytes) bytes, \(stats.events) events, \(centiBytes / 100).\(centiBytes % 100 < 10 ? "0" : "")\(centiBytes % 100) bytes/event")
    } else {
        let check = args.first == "--check"
        var differ = false
        for (name, make) in Scenarios.fixtures {
            let path = packageRoot() + "/Fixtures/" + name
            let bytes = try make()
            if check {
                if readFile(path) != bytes {
                    printError("\(path): differs from what the generator writes")
                    differ = true
                }
            } else {
                try writeFile(path, bytes)
                print("wrote \(path) (\(bytes.count) bytes)")
            }
        }
        if differ { exit(1) }
    }
} catch {
    printError("FixtureGenerator: \(error)")
    exit(1)
}
