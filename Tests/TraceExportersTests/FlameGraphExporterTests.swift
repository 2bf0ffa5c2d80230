// Specification of the flame graph SVG: its frames are the folded stacks' prefixes, as wide as
// their time, colored hot (execution) or cold (waiting).

import Foundation
import Testing
@testable import TraceExporters
import TraceModel

/// The frames of a flame graph SVG, read from their attributes and titles.
struct SVGFrame: Equatable {
    var path: [String]
    var x: Int64
    var width: Int64
    var depth: Int
    var fill: String
}

func svgFrames(_ svg: String) -> [SVGFrame] {
    let pattern = #"<g class="f" data-x="(\d+)" data-w="(\d+)" data-d="(\d+)"><title>(.*?)&#10;[^<]*</title><rect [^>]* fill="(#[0-9a-f]{6})"/>"#
    let regex = try! NSRegularExpression(pattern: pattern)
    var frames: [SVGFrame] = []
    var path: [String] = []
    let ns = svg as NSString
    for match in regex.matches(in: svg, range: NSRange(location: 0, length: ns.length)) {
        func group(_ i: Int) -> String { ns.substring(with: match.range(at: i)) }
        let depth = Int(group(3))!
        let name = group(4).replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        path = Array(path.prefix(depth)) + [name]
        frames.append(SVGFrame(path: path, x: Int64(group(1))!, width: Int64(group(2))!, depth: depth, fill: group(5)))
    }
    return frames
}

/// A frame's name as the folded output escapes it (a state leaf's reason only).
func foldedName(_ name: String) -> String {
    if name.hasPrefix("[blocked: "), name.hasSuffix("]") {
        return "[blocked: " + FoldedFrameEscaping.escape(String(name.dropFirst(10).dropLast())) + "]"
    }
    return FoldedFrameEscaping.escape(name)
}

/// Time under each distinct prefix of the folded lines.
func foldedPrefixTimes(_ lines: [FoldedLine]) -> [[String]: Int64] {
    var times: [[String]: Int64] = [:]
    for line in lines {
        for n in 1...line.frames.count { times[Array(line.frames.prefix(n)), default: 0] += line.weight }
    }
    return times
}

@Suite struct FlameGraphExporterTests {
    static let everyFrame = FlameGraphOptions(minimumFramePixels: 0)

    @Test func framesAreTheFoldedPrefixesAsWideAsTheirTime() throws {
        let s = RandomTrace(seed: 7).script(events: 2_000)
        let svg = try export(FlameGraphExporter(options: Self.everyFrame), s)
        let frames = svgFrames(svg)
        // The SVG shows names unescaped; escaped, they are the folded ones.
        let expected = foldedPrefixTimes(checkFolded(try export(FoldedStacksExporter(), s)))
        let drawn = Dictionary(frames.map { ($0.path.map(foldedName), $0.width) }, uniquingKeysWith: +)
        #expect(drawn == expected)
        #expect(frames.count == expected.count)
        let total = expected.filter { $0.key.count == 1 }.values.reduce(0, +)
        #expect(frames.filter { $0.depth == 0 }.reduce(0) { $0 + $1.width } == total)
        #expect(svg.contains("data-total-ns=\"\(total)\""))
    }

    @Test func childrenSitSideBySideInsideTheirParentInNameOrder() throws {
        let frames = svgFrames(try export(FlameGraphExporter(options: Self.everyFrame), RandomTrace(seed: 11).script(events: 1_500)))
        for (i, frame) in frames.enumerated() where frame.depth > 0 {
            let parent = try #require(frames[..<i].last { $0.depth == frame.depth - 1 })
            #expect(frame.x >= parent.x && frame.x + frame.width <= parent.x + parent.width)
            if let sibling = frames[..<i].last(where: { $0.depth == frame.depth }), sibling.x >= parent.x {
                #expect(sibling.x + sibling.width == frame.x, "siblings touch")
                #expect(sibling.path.last!.utf8.lexicographicallyPrecedes(frame.path.last!.utf8))
            }
        }
    }

    @Test func executionIsWarmAndWaitingCold() throws {
        let s = TraceScript()
        s.created(0, 1, "busy")
        s.state(0, 1, .running, thread: 1)
        s.state(900, 1, .blocked("sleep"))
        s.state(1_000, 1, .ended)
        s.created(0, 2, "idle")
        s.state(0, 2, .running, thread: 2)
        s.state(100, 2, .blocked("sleep"))
        s.state(1_000, 2, .ended)
        let frames = svgFrames(try export(FlameGraphExporter(options: Self.everyFrame), s))
        func hue(_ path: [String]) throws -> Double {
            let fill = try #require(frames.first { $0.path == path }?.fill)
            let v = Array(fill.dropFirst()).chunks(2).map { Double(Int(String($0), radix: 16)!) / 255 }
            let (r, g, b) = (v[0], v[1], v[2])
            let maxV = max(r, g, b), minV = min(r, g, b)
            guard maxV > minV else { return 0 }
            let h: Double = maxV == r ? (g - b) / (maxV - minV) : maxV == g ? 2 + (b - r) / (maxV - minV) : 4 + (r - g) / (maxV - minV)
            return (h * 60 + 360).truncatingRemainder(dividingBy: 360)
        }
        let warm = 0.0...40.0, cold = 160.0...290.0
        #expect(warm.contains(try hue(["busy"])))
        #expect(cold.contains(try hue(["idle"])))
        #expect(warm.contains(try hue(["idle", "[running]"])))
        #expect(cold.contains(try hue(["busy", "[blocked: sleep]"])))
    }

    @Test func framesNarrowerThanTheMinimumAreLeftOutWithEverythingAboveThem() throws {
        let s = TraceScript()
        s.created(0, 1, "wide")
        s.state(0, 1, .blocked("sleep"))
        s.state(999_990, 1, .ended)
        s.created(0, 2, "narrow")
        s.state(0, 2, .running, thread: 1)
        s.regionBegin(0, task: 2, "inside")
        s.state(10, 2, .ended)
        // At 1200 px, 10 ns of 1 ms is 0.0118 px.
        let all = svgFrames(try export(FlameGraphExporter(options: Self.everyFrame), s)).map(\.path)
        #expect(all.contains(["narrow", "inside", "[running]"]))
        let pruned = svgFrames(try export(FlameGraphExporter(options: FlameGraphOptions(minimumFramePixels: 0.1)), s)).map(\.path)
        #expect(pruned == [["wide"], ["wide", "[blocked: sleep]"]])
    }

    @Test func hostileNamesStayInsideTheirElements() throws {
        let s = TraceScript()
        s.created(0, 1, "<script>alert(1)</script> & \"quotes\"")
        s.state(0, 1, .running, thread: 1)
        let svg = try export(FlameGraphExporter(options: Self.everyFrame), s)
        #expect(!svg.contains("<script>alert"))
        #expect(svgFrames(svg).first?.path == ["<script>alert(1)</script> & \"quotes\""])
        #expect(svg.components(separatedBy: "<script").count == 2, "only the embedded script")
    }

    @Test func theDocumentNeedsNothingFromOutside() throws {
        let svg = try export(FlameGraphExporter(), RandomTrace(seed: 2).script(events: 500))
        #expect(!svg.contains("http://") || svg.components(separatedBy: "http://").dropFirst().allSatisfy {
            $0.hasPrefix("www.w3.org/2000/svg\"") || $0.hasPrefix("www.w3.org/1999/xhtml\"")
        })
        #expect(!svg.contains("https://"))
        #expect(!svg.contains("href"))
        #expect(svg.hasSuffix("</svg>\n"))
    }
}

extension Array {
    fileprivate func chunks(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
