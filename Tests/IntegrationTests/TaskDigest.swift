// Test support: the logical tasks of a snapshot (names, groups, ends) and the logs made on
// them, with each log's logfmt message split into fields; for every integration's request tasks.

import TraceModel
import TraceReaders

/// The logical tasks of a snapshot: names, ends, and the logs made on them.
struct TaskDigest {
    struct Created {
        var name: String
        var group: String
    }

    struct Log {
        var task: UInt64
        var category: String
        var fields: [String: String]
    }

    var created: [UInt64: Created] = [:]
    var ended: Set<UInt64> = []
    var logs: [Log] = []
    var metadata: TraceMetadata

    init(_ reader: SnapshotTraceReader) throws {
        var reader = reader
        while let event = try reader.next() {
            switch event.kind {
            case .taskCreated(let task, _, let name, let group, _):
                created[task.raw] = Created(name: reader.tables.string(name), group: reader.tables.string(group))
            case .taskState(let task, .ended, _, _, _):
                ended.insert(task.raw)
            case .log(let task, _, let category, let message):
                logs.append(Log(task: task.raw, category: reader.tables.string(category),
                                fields: Dictionary(logfmt(message), uniquingKeysWith: { a, _ in a })))
            default:
                break
            }
        }
        if let damage = reader.damage { throw damage }
        metadata = reader.metadata
    }

    /// Ids of the tasks named `name`.
    func tasks(named name: String) -> [UInt64] {
        created.filter { $0.value.name == name }.map(\.key).sorted()
    }

    /// The "http" logs of `task`.
    func httpLogs(of task: UInt64) -> [[String: String]] {
        logs.filter { $0.task == task && $0.category == "http" }.map(\.fields)
    }
}

extension TaskDigest.Log {
    subscript(key: String) -> String? { fields[key] }
}

/// `key=value key="quoted \" value"` back into pairs (the inverse of the readers' span text, TraceReaders' SpanText).
func logfmt(_ text: String) -> [(String, String)] {
    var pairs: [(String, String)] = []
    var chars = Array(text)[...]
    while !chars.isEmpty {
        while chars.first == " " { chars = chars.dropFirst() }
        guard let equals = chars.firstIndex(of: "=") else { break }
        let key = String(chars[chars.startIndex..<equals])
        chars = chars[(equals + 1)...]
        var value = ""
        if chars.first == "\"" {
            chars = chars.dropFirst()
            while let c = chars.first, c != "\"" {
                chars = chars.dropFirst()
                if c == "\\", let escaped = chars.first {
                    chars = chars.dropFirst()
                    value.append(escaped == "n" ? "\n" : escaped == "t" ? "\t" : escaped == "r" ? "\r" : escaped)
                } else {
                    value.append(c)
                }
            }
            chars = chars.dropFirst()
        } else {
            while let c = chars.first, c != " " {
                value.append(c)
                chars = chars.dropFirst()
            }
        }
        pairs.append((key, value))
    }
    return pairs
}
