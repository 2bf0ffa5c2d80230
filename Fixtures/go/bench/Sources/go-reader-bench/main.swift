// Drains the Go trace reader over a file and prints events, wall time and events per second.
// Usage: go-reader-bench TRACE [TRACE...]
// Peak memory: run under `/usr/bin/time -v`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceReaders

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

for path in CommandLine.arguments.dropFirst() {
    let start = now()
    do {
        var reader = try GoTraceReader(path: path)
        var events = 0
        var checksum: Int64 = 0
        while let e = try reader.next() {
            events += 1
            checksum &+= e.timeNs
        }
        let seconds = now() - start
        let m = reader.metadata
        let millis = Int(seconds * 1000)
        let rate = Int(Double(events) / seconds)
        let damage = reader.damage?.description ?? "none"
        print("\(path): \(events) events, \(m.fileBytes) bytes, go \(m.version), \(millis) ms, \(rate) events/s, "
            + "\(reader.tables.stackCount) stacks, \(reader.tables.stringCount) strings, damage: \(damage), checksum \(checksum)")
    } catch {
        print("\(path): \(error)")
        exit(1)
    }
}
