// Progress on stderr while a large input converts.
//
// Invariants:
// - Silent unless stderr is a terminal and the input is large: a regular file of at least
//   `largeInputBytes`, or a stream (stdin, pipe) whose size is unknown. Even then nothing is
//   shown before `delayNs` has passed, so quick conversions stay quiet.
// - One line, rewritten in place (carriage return), erased by `finish`; never on stdout.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Progress {
    static let largeInputBytes: Int64 = 32 << 20
    static let delayNs: Int64 = 1_000_000_000
    static let intervalNs: Int64 = 250_000_000

    private let enabled: Bool
    private let input: String
    private let startNs: Int64
    private var lastShownNs: Int64 = 0
    private var shown = false

    init(input: String) {
        self.input = input
        self.startNs = Self.nowNs()
        guard StandardError.isTerminal else {
            enabled = false
            return
        }
        var info = stat()
        if input != "-", stat(input, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            enabled = Int64(info.st_size) >= Self.largeInputBytes
        } else {
            enabled = true
        }
    }

    mutating func update(events: Int64) {
        guard enabled else { return }
        let now = Self.nowNs()
        guard now - startNs >= Self.delayNs, now - lastShownNs >= Self.intervalNs else { return }
        lastShownNs = now
        shown = true
        let millions = Double(events) / 1e6
        let tenths = (millions * 10).rounded() / 10
        let rate = Double(events) / (Double(now - startNs) / 1e9) / 1e6
        let rateTenths = (rate * 10).rounded() / 10
        let line = "\rtracexport: \(input): \(tenths) M events (\(rateTenths) M/s)\u{1B}[K"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    mutating func finish() {
        guard shown else { return }
        shown = false
        var bytes = Array("\r\u{1B}[K".utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func nowNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
