// Invariant checkers run over every output the tests produce.
//
// Chrome: the file parses as the object form; every number is finite; per track (pid+tid)
// B/E events are ordered by time, balanced and strictly nested, with no end after a begin at
// the same ts; flow ids are numbers and every flow start has exactly one end, not earlier.
// Folded: every line is `frames weight` with a positive integer weight, frames free of empty
// names, and no frame ends in " <number>".
//
// The checkers record failures with `Issue.record` and return what they parsed, so tests can
// then assert on specific slices.

import Foundation
import Testing

struct ChromeSlice: Equatable {
    var pid: Int
    var tid: Int
    var name: String
    var beginUs: Double
    var endUs: Double
    var depth: Int
}

struct ChromeTrace {
    var root: [String: Any]
    var events: [[String: Any]]
    var slices: [ChromeSlice]

    func slices(pid: Int, tid: Int) -> [ChromeSlice] {
        slices.filter { $0.pid == pid && $0.tid == tid }.sorted { ($0.beginUs, $0.depth) < ($1.beginUs, $1.depth) }
    }

    func events(ph: String) -> [[String: Any]] {
        events.filter { $0["ph"] as? String == ph }
    }

    /// `thread_name` metadata per (pid, tid).
    func trackName(pid: Int, tid: Int) -> String? {
        events(ph: "M").last {
            $0["name"] as? String == "thread_name" && $0["pid"] as? Int == pid && $0["tid"] as? Int == tid
        }.flatMap { ($0["args"] as? [String: Any])?["name"] as? String }
    }
}

func checkChrome(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ChromeTrace {
    guard let data = text.data(using: .utf8),
          let object = try? JSONSerialization.jsonObject(with: data),
          let root = object as? [String: Any],
          let events = root["traceEvents"] as? [[String: Any]] else {
        Issue.record("not Chrome JSON in object form: \(text.prefix(300))", sourceLocation: sourceLocation)
        return ChromeTrace(root: [:], events: [], slices: [])
    }
    #expect(root["displayTimeUnit"] as? String == "ns", sourceLocation: sourceLocation)
    #expect(root["otherData"] is [String: Any], sourceLocation: sourceLocation)
    #expect(!text.contains("\n  "), "no pretty printing", sourceLocation: sourceLocation)

    struct Key: Hashable {
        var pid: Int
        var tid: Int
    }
    struct Open {
        var name: String
        var beginUs: Double
    }
    var stacks: [Key: [Open]] = [:]
    var lastTs: [Key: Double] = [:]
    var lastBeginTs: [Key: Double] = [:]
    var slices: [ChromeSlice] = []
    var flowStarts: [Int: Double] = [:]
    var flowEnds: [Int: Double] = [:]

    for event in events {
        guard let ph = event["ph"] as? String else {
            Issue.record("event without ph: \(event)", sourceLocation: sourceLocation)
            continue
        }
        for (key, value) in event {
            if let number = value as? Double, !number.isFinite {
                Issue.record("non-finite \(key) in \(event)", sourceLocation: sourceLocation)
            }
        }
        if ph != "M" {
            guard let ts = event["ts"] as? Double, ts.isFinite, ts >= 0 else {
                Issue.record("bad ts in \(event)", sourceLocation: sourceLocation)
                continue
            }
            _ = ts
        }
        #expect(ph != "X", "the exporter writes B/E, never X", sourceLocation: sourceLocation)
        switch ph {
        case "B", "E":
            let key = Key(pid: event["pid"] as? Int ?? -1, tid: event["tid"] as? Int ?? -1)
            let ts = event["ts"] as? Double ?? -1
            if let last = lastTs[key], ts < last {
                Issue.record("track \(key) goes back in time at \(event)", sourceLocation: sourceLocation)
            }
            lastTs[key] = ts
            if ph == "B" {
                guard let name = event["name"] as? String, !name.isEmpty else {
                    Issue.record("begin without name: \(event)", sourceLocation: sourceLocation)
                    continue
                }
                stacks[key, default: []].append(Open(name: name, beginUs: ts))
                lastBeginTs[key] = ts
            } else {
                if lastBeginTs[key] == ts {
                    Issue.record("end after a begin at the same ts on \(key): \(event)", sourceLocation: sourceLocation)
                }
                guard let open = stacks[key]?.popLast() else {
                    Issue.record("end without begin on \(key): \(event)", sourceLocation: sourceLocation)
                    continue
                }
                if ts <= open.beginUs {
                    Issue.record("zero-length or negative slice \(open.name) on \(key)", sourceLocation: sourceLocation)
                }
                slices.append(ChromeSlice(pid: key.pid, tid: key.tid, name: open.name, beginUs: open.beginUs,
                                          endUs: ts, depth: stacks[key]?.count ?? 0))
            }
        case "s", "f":
            guard let id = event["id"] as? Int, !(event["id"] is String) else {
                Issue.record("flow id is not a number: \(event)", sourceLocation: sourceLocation)
                continue
            }
            let ts = event["ts"] as? Double ?? -1
            if ph == "s" {
                #expect(flowStarts[id] == nil, "flow id \(id) reused", sourceLocation: sourceLocation)
                flowStarts[id] = ts
            } else {
                #expect(flowEnds[id] == nil, "flow \(id) ended twice", sourceLocation: sourceLocation)
                flowEnds[id] = ts
                #expect(event["bp"] as? String == "e", sourceLocation: sourceLocation)
            }
        case "i", "C", "M":
            break
        default:
            Issue.record("unexpected phase \(ph)", sourceLocation: sourceLocation)
        }
    }
    for (key, open) in stacks where !open.isEmpty {
        Issue.record("track \(key) left open: \(open.map(\.name))", sourceLocation: sourceLocation)
    }
    #expect(Set(flowStarts.keys) == Set(flowEnds.keys), "every flow has a start and an end", sourceLocation: sourceLocation)
    for (id, start) in flowStarts {
        if let end = flowEnds[id], end < start {
            Issue.record("flow \(id) ends before it starts", sourceLocation: sourceLocation)
        }
    }
    return ChromeTrace(root: root, events: events, slices: slices)
}

struct FoldedLine: Equatable {
    var frames: [String]
    var weight: Int64
}

func checkFolded(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [FoldedLine] {
    var lines: [FoldedLine] = []
    var previous: String?
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        let line = String(raw)
        guard let space = line.lastIndex(of: " "), let weight = Int64(line[line.index(after: space)...]), weight > 0 else {
            Issue.record("bad folded line: \(line)", sourceLocation: sourceLocation)
            continue
        }
        let stack = String(line[..<space])
        if let previous, !(previous < stack) {
            Issue.record("lines not sorted and unique: \(previous) / \(stack)", sourceLocation: sourceLocation)
        }
        previous = stack
        let frames = stack.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        for frame in frames {
            if frame.isEmpty { Issue.record("empty frame in \(line)", sourceLocation: sourceLocation) }
            if frame.range(of: #"\s[0-9.]+$"#, options: .regularExpression) != nil {
                Issue.record("frame ends in a number flamegraph.pl would take: \(frame)", sourceLocation: sourceLocation)
            }
        }
        lines.append(FoldedLine(frames: frames, weight: weight))
    }
    if !text.isEmpty && !text.hasSuffix("\n") { Issue.record("folded output must end with a newline") }
    return lines
}

/// Folded weights summed by their leaf state frame ("[running]", "[blocked: sleep]").
func foldedWeightsByLeaf(_ lines: [FoldedLine]) -> [String: Int64] {
    lines.reduce(into: [:]) { $0[$1.frames.last ?? "", default: 0] += $1.weight }
}
