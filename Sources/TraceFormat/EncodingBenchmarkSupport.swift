// What the format benchmarks drive: the recorder's record encoders writing into raw memory.
// SPI: for the benchmarks package only, never for users. Inlinable, so the benchmark measures
// the encoders inlined as the recorder's annotations have them.

@_spi(Benchmarks)
public enum EncodingBenchmarkSupport {
    /// A regionBegin record at `p`; returns the position after it.
    @inlinable @inline(__always)
    public static func regionBegin(dt: UInt64, task: UInt64, nameRef: UInt64, stack: UInt64,
                                   at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        EventRecord.regionBegin(dt: dt, task: task, nameRef: nameRef, stack: stack, at: p)
    }

    /// A regionEnd record at `p`; returns the position after it.
    @inlinable @inline(__always)
    public static func regionEnd(dt: UInt64, task: UInt64, nameRef: UInt64,
                                 at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        EventRecord.regionEnd(dt: dt, task: task, nameRef: nameRef, at: p)
    }
}
