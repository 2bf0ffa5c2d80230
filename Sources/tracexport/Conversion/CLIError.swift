// The CLI's one-line errors.
//
// Invariants:
// - Every failure prints exactly one line on stderr, `tracexport: <subject>: <message>`, where
//   the subject is the input or output file (for input damage: `<file>: offset N: <message>`,
//   as TraceDamage words it), and the process exits 1.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import TraceModel

struct CLIError: Error {
    var subject: String
    var message: String

    init(subject: String, message: String) {
        self.subject = subject
        self.message = message
    }

    /// An error thrown while reading `input`: damage keeps its own `file: offset N:` wording.
    init(reading input: String, _ error: any Error) {
        if let damage = error as? TraceDamage {
            self.init(subject: damage.file, message: "offset \(damage.offset): \(damage.message)")
        } else if let cli = error as? CLIError {
            self = cli
        } else {
            self.init(subject: input, message: String(describing: error))
        }
    }

    var line: String { "tracexport: \(subject): \(message)" }
}

enum StandardError {
    static func print(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    static var isTerminal: Bool { isatty(2) == 1 }
}

extension CLIError {
    /// Prints the line and ends the command with exit status 1.
    func exit() -> ExitCode {
        StandardError.print(line)
        return ExitCode.failure
    }
}
