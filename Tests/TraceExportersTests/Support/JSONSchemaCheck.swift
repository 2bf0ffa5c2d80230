// Validates parsed JSON against the package's schemas (Schemas/*.schema.json), so a test can
// hold an output to its schema without python's jsonschema (which .ci/validate-schemas.py uses
// on the fixtures).
//
// Invariants:
// - Covers exactly the JSON Schema 2020-12 keywords the package's schemas use: type, const,
//   enum, required, properties, patternProperties, additionalProperties (false or a schema),
//   items, minItems, maxItems, minProperties, maxProperties, minimum, minLength, pattern, $ref
//   (local "#/..."), allOf, if/then/else, not. Annotations (title, description, $id...) are
//   ignored. A keyword outside that list is reported as a problem, never silently skipped.
// - Booleans are told from numbers by their Foundation type (objCType "c"), so `true` is no
//   integer and 1 is no boolean.

import Foundation
import Testing

struct JSONSchemaCheck {
    private let root: [String: Any]

    init(schemaFile name: String) throws {
        let url = PackageFiles.root.appendingPathComponent("Schemas").appendingPathComponent(name)
        root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Problems found in `value`, each with its JSON path; empty when it validates.
    func problems(_ value: Any) -> [String] {
        var found: [String] = []
        check(value, against: root, at: "$", into: &found)
        return found
    }

    private static let annotations: Set<String> = ["$schema", "$id", "title", "description", "$defs"]

    private func check(_ value: Any, against schema: [String: Any], at path: String, into found: inout [String]) {
        for (keyword, rule) in schema {
            switch keyword {
            case _ where Self.annotations.contains(keyword), "then", "else":
                continue
            case "$ref":
                guard let ref = rule as? String, let target = resolve(ref) else {
                    found.append("\(path): unresolvable $ref \(rule)")
                    continue
                }
                check(value, against: target, at: path, into: &found)
            case "type":
                if !Self.hasType(value, rule as? String ?? "") { found.append("\(path): not of type \(rule)") }
            case "const":
                if !Self.equal(value, rule) { found.append("\(path): not \(rule)") }
            case "enum":
                if !((rule as? [Any]) ?? []).contains(where: { Self.equal(value, $0) }) {
                    found.append("\(path): \(value) not in \(rule)")
                }
            case "required":
                guard let object = value as? [String: Any] else { continue }
                for key in rule as? [String] ?? [] where object[key] == nil { found.append("\(path): lacks \(key)") }
            case "properties", "patternProperties", "additionalProperties":
                checkProperties(value, schema, keyword, at: path, into: &found)
            case "items":
                guard let array = value as? [Any], let item = rule as? [String: Any] else { continue }
                for (i, element) in array.enumerated() { check(element, against: item, at: "\(path)[\(i)]", into: &found) }
            case "minItems", "maxItems":
                guard let array = value as? [Any], let bound = rule as? Int else { continue }
                if keyword == "minItems" ? array.count < bound : array.count > bound {
                    found.append("\(path): \(array.count) items breaks \(keyword) \(bound)")
                }
            case "minProperties", "maxProperties":
                guard let object = value as? [String: Any], let bound = rule as? Int else { continue }
                if keyword == "minProperties" ? object.count < bound : object.count > bound {
                    found.append("\(path): \(object.count) properties breaks \(keyword) \(bound)")
                }
            case "minimum":
                guard Self.hasType(value, "number"), let n = (value as? NSNumber)?.doubleValue,
                      let bound = (rule as? NSNumber)?.doubleValue else { continue }
                if n < bound { found.append("\(path): \(n) below \(bound)") }
            case "minLength":
                guard let s = value as? String, let bound = rule as? Int else { continue }
                if s.count < bound { found.append("\(path): shorter than \(bound)") }
            case "pattern":
                guard let s = value as? String, let pattern = rule as? String else { continue }
                if s.range(of: pattern, options: .regularExpression) == nil { found.append("\(path): \(s) !~ \(pattern)") }
            case "allOf":
                for sub in rule as? [[String: Any]] ?? [] { check(value, against: sub, at: path, into: &found) }
            case "if":
                guard let condition = rule as? [String: Any] else { continue }
                var failed: [String] = []
                check(value, against: condition, at: path, into: &failed)
                if let branch = schema[failed.isEmpty ? "then" : "else"] as? [String: Any] {
                    check(value, against: branch, at: path, into: &found)
                }
            case "not":
                guard let sub = rule as? [String: Any] else { continue }
                var failed: [String] = []
                check(value, against: sub, at: path, into: &failed)
                if failed.isEmpty { found.append("\(path): matches a schema it must not (\(sub))") }
            default:
                found.append("\(path): schema keyword \(keyword) is not supported by the checker")
            }
        }
    }

    private func checkProperties(_ value: Any, _ schema: [String: Any], _ keyword: String, at path: String,
                                 into found: inout [String]) {
        // The three keywords decide together: each key is checked once, under the first present.
        let first = ["properties", "patternProperties", "additionalProperties"].first { schema[$0] != nil }
        guard keyword == first, let object = value as? [String: Any] else { return }
        let named = schema["properties"] as? [String: Any] ?? [:]
        let patterns = schema["patternProperties"] as? [String: Any] ?? [:]
        for (key, member) in object.sorted(by: { $0.key < $1.key }) {
            var matched = false
            if let sub = named[key] as? [String: Any] {
                matched = true
                check(member, against: sub, at: "\(path).\(key)", into: &found)
            }
            for (pattern, sub) in patterns where key.range(of: pattern, options: .regularExpression) != nil {
                matched = true
                if let sub = sub as? [String: Any] { check(member, against: sub, at: "\(path).\(key)", into: &found) }
            }
            guard !matched else { continue }
            switch schema["additionalProperties"] {
            case let sub as [String: Any]:
                check(member, against: sub, at: "\(path).\(key)", into: &found)
            case let allowed as Bool:
                if !allowed { found.append("\(path): unexpected key \(key)") }
            default:
                continue
            }
        }
    }

    private func resolve(_ ref: String) -> [String: Any]? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: Any = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    private static func isBoolean(_ value: Any) -> Bool {
        guard let n = value as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    private static func hasType(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        case "boolean": return isBoolean(value)
        case "number": return value is NSNumber && !isBoolean(value)
        case "integer":
            guard let n = value as? NSNumber, !isBoolean(value) else { return false }
            return n.doubleValue.rounded(.towardZero) == n.doubleValue
        default: return false
        }
    }

    private static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if isBoolean(a) != isBoolean(b) { return false }
        if let x = a as? NSNumber, let y = b as? NSNumber { return x.doubleValue == y.doubleValue }
        return false
    }
}

/// Parses `text` as JSON and records every schema problem as a test issue.
@discardableResult
func checkSchema(_ text: String, _ schemaFile: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    for problem in try JSONSchemaCheck(schemaFile: schemaFile).problems(value).prefix(20) {
        Issue.record("\(schemaFile): \(problem)", sourceLocation: sourceLocation)
    }
    return value
}
