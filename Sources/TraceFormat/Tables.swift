// Strings and stacks frames: the snapshot's interned names and captured stacks.
//
// Invariants:
// - Ids are unique within one snapshot; id 0 is reserved (the empty string, no stack) and
//   never defined.
// - A strings frame is a sequence of (uvarint id, string); a stacks frame of (uvarint id,
//   uvarint frame count, frames leaf first as (uvarint pc, uvarint function string id,
//   uvarint file string id, uvarint line)). Function and file ids refer to strings frames
//   written before.

package struct SnapshotStackFrame: Equatable, Sendable {
    package var pc: UInt64
    package var function: UInt64
    package var file: UInt64
    package var line: UInt64
    package init(pc: UInt64, function: UInt64, file: UInt64 = 0, line: UInt64 = 0) {
        self.pc = pc
        self.function = function
        self.file = file
        self.line = line
    }
}

package enum StringsFrame {
    package static func encode(_ strings: [(id: UInt64, string: String)]) -> [UInt8] {
        var w = ByteWriter(capacity: strings.count * 16)
        for (id, s) in strings {
            w.uvarint(id)
            w.string(s)
        }
        return w.bytes
    }

    package static func decode(_ payload: [UInt8], into body: (UInt64, String) -> Void) throws {
        var c = ByteCursor(payload)
        while !c.isAtEnd {
            let id = try c.uvarint()
            guard id != 0 else { throw FormatError(offset: c.offset, "string id 0 is reserved") }
            body(id, try c.string())
        }
    }
}

package enum StacksFrame {
    /// Frames per stack a reader accepts.
    package static let maxFrames = 1024

    package static func encode(_ stacks: [(id: UInt64, frames: [SnapshotStackFrame])]) -> [UInt8] {
        var w = ByteWriter(capacity: stacks.count * 32)
        for (id, frames) in stacks {
            w.uvarint(id)
            w.uvarint(frames.count)
            for f in frames {
                w.uvarint(f.pc)
                w.uvarint(f.function)
                w.uvarint(f.file)
                w.uvarint(f.line)
            }
        }
        return w.bytes
    }

    package static func decode(_ payload: [UInt8], into body: (UInt64, [SnapshotStackFrame]) -> Void) throws {
        var c = ByteCursor(payload)
        while !c.isAtEnd {
            let id = try c.uvarint()
            guard id != 0 else { throw FormatError(offset: c.offset, "stack id 0 is reserved") }
            let n = try c.count(limit: maxFrames)
            var frames: [SnapshotStackFrame] = []
            frames.reserveCapacity(n)
            for _ in 0..<n {
                frames.append(SnapshotStackFrame(pc: try c.uvarint(), function: try c.uvarint(),
                                                 file: try c.uvarint(), line: try c.uvarint()))
            }
            body(id, frames)
        }
    }
}
