// Aligned plain-text tables for the text outputs (durations in them: TraceModel's DurationText).
//
// Invariants:
// - Every row has the header's number of cells (missing cells are blank, extra ones dropped).
// - Columns are separated by two spaces; a right-aligned column pads on the left. The last
//   column is never padded on the right, so lines carry no trailing spaces.

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
