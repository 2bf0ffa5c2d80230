// Why a snapshot was taken: free text plus key/value pairs, written into the snapshot header.
//
// Invariants: order of fields is kept as given.

public struct SnapshotTrigger: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public var reason: String
    public var fields: [Field]

    /// `SnapshotTrigger("slow request", ["method": "GET", "path": "/ping", "seconds": "2.1"])`
    public init(_ reason: String, _ fields: KeyValuePairs<String, String> = [:]) {
        self.reason = reason
        self.fields = fields.map { Field($0.key, $0.value) }
    }

    public init(_ reason: String, fields: [Field]) {
        self.reason = reason
        self.fields = fields
    }

    public static let manual = SnapshotTrigger("manual")
}
