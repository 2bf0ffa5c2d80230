// Sibling ranks for tracks ordered by a 64-bit id (tasks, threads) in a field that holds an
// int32 (TrackDescriptor.sibling_order_rank).
//
// Ids below 2^30 are their own rank. Larger ids (the model's id spaces at 1 << 62 and 1 << 63,
// a long-running process's task counter past 2^30) go to bands above: one band of 2^24 ranks
// per bit length (31 to 64 bits), ordered by bit length, so ids of different lengths keep
// their order. Within a band an id is ranked by its distance from the first id of that
// length seen, which keeps every id order exact while the ids of one length in a trace lie
// within 2^23 of each other (a trace's window holds far fewer tasks than that); beyond that
// distance ranks clamp to the band's edge, so the order stays non-decreasing in the id.
//
// Invariants:
// - rank(a) <= rank(b) whenever a < b; rank(a) < rank(b) when both are below 2^30, or of one
//   bit length and within 2^23 of that length's first id.
// - An id always gets the same rank (a track described again keeps its place).
// - Every rank lies in 0 ..< 2^30 + 34 * 2^24, inside int32.

struct PerfettoTrackRanks {
    /// Ids below this are their own rank.
    static let exactLimit: UInt64 = 1 << 30
    /// Ranks per bit length above `exactLimit`.
    static let bandWidth: Int64 = 1 << 24
    /// The first id seen per bit length, 31 ... 64 bits (0: none yet; 0 is never such an id).
    private var anchors = [UInt64](repeating: 0, count: 34)

    mutating func rank(_ id: UInt64) -> Int32 {
        if id < Self.exactLimit { return Int32(id) }
        let band = (64 - id.leadingZeroBitCount) - 31
        if anchors[band] == 0 { anchors[band] = id }
        // Two ids of one bit length differ by less than 2^63: the difference fits an Int64.
        let distance = Int64(bitPattern: id &- anchors[band])
        let half = Self.bandWidth / 2
        let offset = min(max(distance, -half), half - 1)
        return Int32(Int64(Self.exactLimit) + Int64(band) * Self.bandWidth + half + offset)
    }
}
