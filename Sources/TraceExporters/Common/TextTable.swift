// Aligned plain-text tables and human-readable durations for the text outputs.
//
// Invariants:
// - Every row has the header's number of cells (missing cells are blank, extra ones dropped).
// - Columns are separated by two spaces; a right-aligned column pads on the left. The last
//   column is never padded on the right, so lines carry no trailing spaces.
// - Durations are rendered with integer arithmetic only (deterministic, no locale).

import TraceModel

struct TextTable {
    enum Alignment {
        case left, right
    }

    private let headers: [String]
    private let alignments: [Alignment]
    private var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func append(_ row: [String]) {
        var cells = Array(row.prefix(headers.count))
        while cells.count < headers.count { cells.append("") }
        rows.append(cells)
    }

    func write(to output: inout OutputBuffer) {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        writeRow(headers, widths: widths, to: &output)
        for row in rows { writeRow(row, widths: widths, to: &output) }
    }

    private func writeRow(_ cells: [String], widths: [Int], to output: inout OutputBuffer) {
        var line = ""
        for (i, cell) in cells.enumerated() {
            if i > 0 { line += "  " }
            let pad = String(repeating: " ", count: widths[i] - cell.count)
            let isLast = i == cells.count - 1
            switch alignments[i] {
            case .right: line += pad + cell
            case .left: line += isLast ? cell : cell + pad
            }
        }
        while line.last == " " { line.removeLast() }
        output.write(line)
        output.write(byte: UInt8(ascii: "\n"))
    }
}

package enum DurationText {
    /// "0", "850ns", "12.345µs", "3.500ms", "2.100s" (three decimals, rounded half up).
    package static func format(_ ns: Int64) -> String {
        if ns == 0 { return "0" }
        if ns < 0 { return "-" + format(-ns) }
        if ns < 1_000 { return "\(ns)ns" }
        if ns < 1_000_000 { return scaled(ns, 1_000, "µs") }
        if ns < 1_000_000_000 { return scaled(ns, 1_000_000, "ms") }
        return scaled(ns, 1_000_000_000, "s")
    }

    private static func scaled(_ ns: Int64, _ unit: Int64, _ suffix: String) -> String {
        // Split before multiplying so that no Int64 duration can overflow.
        let thousandths = (ns / unit) * 1000 + ((ns % unit) * 1000 + unit / 2) / unit
        let whole = thousandths / 1000
        let frac = thousandths % 1000
        let fracText = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
        return "\(whole).\(fracText)\(suffix)"
    }
}
