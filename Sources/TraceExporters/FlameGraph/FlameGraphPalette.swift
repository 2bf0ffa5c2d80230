// Colors of a hot/cold flame graph: execution in warm colors (red to yellow), waiting in cold
// ones (teal for scheduling wait, blue for blocked, violet for syscall), so a graph that is
// mostly blue waits far longer than it runs.
//
// Invariants:
// - A frame is warm when at least half of its time is execution, cold otherwise; a state leaf
//   takes its own state's family.
// - Within a family the exact shade follows a hash of the frame's name (FNV-1a, not Swift's
//   seeded Hasher), so equal names get equal colors in every run and every file.

enum FlameGraphPalette {
    enum Family {
        case execution, schedulingWait, blocked, syscall

        /// Hue range in degrees, saturation and lightness ranges in percent.
        var ranges: (hue: ClosedRange<Double>, saturation: ClosedRange<Double>, lightness: ClosedRange<Double>) {
            switch self {
            case .execution: (0...32, 80...92, 50...60)
            case .schedulingWait: (168...186, 45...60, 52...64)
            case .blocked: (202...228, 55...72, 58...70)
            case .syscall: (258...276, 40...55, 62...72)
            }
        }
    }

    /// `#rrggbb` for a frame of that family and name.
    static func color(_ family: Family, name: String) -> String {
        let hash = fnv1a(name)
        let ranges = family.ranges
        func pick(_ range: ClosedRange<Double>, _ bits: UInt64) -> Double {
            range.lowerBound + (range.upperBound - range.lowerBound) * Double(bits & 0xFF) / 255
        }
        return hex(hue: pick(ranges.hue, hash), saturation: pick(ranges.saturation, hash >> 8) / 100,
                   lightness: pick(ranges.lightness, hash >> 16) / 100)
    }

    private static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return h
    }

    private static func hex(hue: Double, saturation s: Double, lightness l: Double) -> String {
        // HSL to RGB (the CSS definition).
        let c = (1 - abs(2 * l - 1)) * s
        let h = hue / 60
        let x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double) = switch h {
        case ..<1: (c, x, 0)
        case ..<2: (x, c, 0)
        case ..<3: (0, c, x)
        case ..<4: (0, x, c)
        case ..<5: (x, 0, c)
        default: (c, 0, x)
        }
        let m = l - c / 2
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "#")]
        for v in [r, g, b] {
            let byte = Int(((v + m) * 255).rounded()).clamped(0, 255)
            out.append(digits[byte >> 4])
            out.append(digits[byte & 15])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Int {
    fileprivate func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
