// The flame graph as an SVG document: header (title, legend with the time per state, search
// box, zoom reset), one group per frame, a details line, and the script that makes it
// interactive (FlameGraphScript).
//
// Invariants:
// - Self-contained: no external reference (fonts, scripts, styles), so it opens offline and
//   from a file.
// - Readable without the script: every frame is drawn at full width with a fitted label and
//   a <title> tooltip (`name`, then time, share and execution/waiting split on a second line).
// - What the script needs is in attributes: the root's data-total-ns, data-left,
//   data-area-width; each frame's data-x and data-w (nanoseconds from the left edge, width)
//   and data-d (depth, 0 at the bottom). Frames come depth-first, children left to right.

import TraceModel

struct FlameGraphDocument {
    struct Frame {
        var name: String
        var x: Int64
        var width: Int64
        var depth: Int
        var executionNs: Int64
        var family: FlameGraphPalette.Family
    }

    static let margin = 10
    static let frameHeight = 16
    static let headerHeight = 60
    static let characterWidth = 7.0

    let options: FlameGraphOptions
    let totalNs: Int64
    let byState: StateTimes
    let depth: Int
    let title: String

    private var areaWidth: Double { Double(options.width - 2 * Self.margin) }
    private var framesBottom: Int { Self.headerHeight + depth * Self.frameHeight }
    private var height: Int { framesBottom + 30 }

    mutating func write(_ frames: [Frame], into output: inout OutputBuffer) throws {
        writeHeader(frameCount: frames.count, into: &output)
        output.write("<g id=\"frames\">\n")
        for frame in frames {
            write(frame, into: &output)
            try output.flushIfNeeded()
        }
        output.write("</g>\n<script type=\"text/ecmascript\"><![CDATA[\n")
        output.write(FlameGraphScript.source)
        output.write("]]></script>\n</svg>\n")
    }

    private func writeHeader(frameCount: Int, into output: inout OutputBuffer) {
        let width = options.width
        output.write("""
            <?xml version="1.0" encoding="UTF-8" standalone="no"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(width)" height="\(height)" \
            viewBox="0 0 \(width) \(height)" data-total-ns="\(totalNs)" data-left="\(Self.margin)" \
            data-area-width="\(FlameGraphText.pixels(areaWidth))" data-character-width="\(FlameGraphText.pixels(Self.characterWidth))">
            <style>
            text { font-family: Verdana, "DejaVu Sans", sans-serif; font-size: 12px; fill: #222; }
            #title { font-size: 17px; text-anchor: middle; }
            #reset, #matched { fill: #1b4fb0; }
            #reset { cursor: pointer; }
            g.f { cursor: pointer; }
            g.f text { font-size: 11px; pointer-events: none; }
            g.f:hover rect { stroke: #111; stroke-width: 0.8; }
            g.f.ancestor rect { opacity: 0.55; }
            g.f.match rect { fill: #e53fd6; }
            </style>
            <rect x="0" y="0" width="\(width)" height="\(height)" fill="#f7f6f2"/>
            <text id="title" x="\(width / 2)" y="24">\(FlameGraphText.xml(title))</text>
            <text id="reset" x="\(Self.margin)" y="24" display="none">Reset zoom</text>

            """)
        writeLegend(into: &output)
        let searchWidth = 220
        output.write("""
            <foreignObject x="\(width - Self.margin - searchWidth)" y="8" width="\(searchWidth)" height="24">\
            <input xmlns="http://www.w3.org/1999/xhtml" id="search" type="search" placeholder="Search (regex), Ctrl-F" \
            style="width:100%;box-sizing:border-box;font:12px Verdana,sans-serif;padding:2px 4px"/></foreignObject>
            <text id="matched" x="\(width - Self.margin)" y="\(height - 10)" text-anchor="end"></text>
            <text id="details" x="\(Self.margin)" y="\(height - 10)">\(frameCount) frames, \
            \(FlameGraphText.xml(FlameGraphText.duration(totalNs))) in all. Click a frame to zoom, hover for its time.</text>

            """)
    }

    /// Swatches and the time per state: warm for execution, cold for the three waits.
    private func writeLegend(into output: inout OutputBuffer) {
        let entries: [(FlameGraphPalette.Family, String, Int64)] = [
            (.execution, "execution", byState.runningNs),
            (.schedulingWait, "scheduling wait", byState.runnableNs),
            (.blocked, "blocked", byState.blockedNs),
            (.syscall, "syscall", byState.syscallNs),
        ]
        var x = Double(Self.margin)
        let y = 44
        for (family, label, ns) in entries {
            let text = "\(label) \(FlameGraphText.duration(ns)) (\(FlameGraphText.share(ns, of: totalNs)))"
            output.write("<rect x=\"\(FlameGraphText.pixels(x))\" y=\"\(y - 10)\" width=\"12\" height=\"12\" fill=\"")
            output.write(FlameGraphPalette.color(family, name: label))
            output.write("\"/><text x=\"\(FlameGraphText.pixels(x + 16))\" y=\"\(y)\">\(FlameGraphText.xml(text))</text>\n")
            x += 16 + Double(text.count) * Self.characterWidth + 14
        }
    }

    private func write(_ frame: Frame, into output: inout OutputBuffer) {
        let px = Double(Self.margin) + pixelsFor(frame.x)
        let pw = pixelsFor(frame.width)
        let y = framesBottom - (frame.depth + 1) * Self.frameHeight
        let name = FlameGraphText.xml(frame.name)
        output.write("<g class=\"f\" data-x=\"")
        output.write(int: frame.x)
        output.write("\" data-w=\"")
        output.write(int: frame.width)
        output.write("\" data-d=\"")
        output.write(int: Int64(frame.depth))
        output.write("\"><title>")
        output.write(name)
        output.write("&#10;")
        output.write(FlameGraphText.xml(about(frame)))
        output.write("</title><rect x=\"\(FlameGraphText.pixels(px))\" y=\"\(y)\" width=\"\(FlameGraphText.pixels(pw))\" height=\"\(Self.frameHeight - 1)\" rx=\"2\" fill=\"")
        output.write(FlameGraphPalette.color(frame.family, name: frame.name))
        output.write("\"/><text x=\"\(FlameGraphText.pixels(px + 3))\" y=\"\(y + Self.frameHeight - 4)\">")
        output.write(FlameGraphText.xml(FlameGraphText.label(frame.name, width: pw, characterWidth: Self.characterWidth)))
        output.write("</text></g>\n")
    }

    private func pixelsFor(_ ns: Int64) -> Double {
        totalNs > 0 ? Double(ns) / Double(totalNs) * areaWidth : 0
    }

    /// `1.23 ms, 12.3% of all; execution 10.0%, waiting 90.0%`.
    private func about(_ frame: Frame) -> String {
        let waiting = frame.width - frame.executionNs
        return "\(FlameGraphText.duration(frame.width)), \(FlameGraphText.share(frame.width, of: totalNs)) of all; "
            + "execution \(FlameGraphText.share(frame.executionNs, of: frame.width)), "
            + "waiting \(FlameGraphText.share(waiting, of: frame.width))"
    }
}
