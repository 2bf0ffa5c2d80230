// ActorShop: `GET /order` reserves 40 items in parallel through one `Inventory` actor (2 ms of
// work inside it each), asks the pricing endpoint over HTTP, sleeps 50 ms, and answers. Nothing
// in the handlers mentions the recorder: the global executor takeover records every task and
// every hop onto an actor. Hummingbird's TracingMiddleware makes each request a span, which the
// flight recorder's tracer records (a span of a request is a task named `GET /order` too).

import FlightRecorder
import FlightRecorderHummingbird
import FlightRecorderTracing
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Tracing

actor Inventory {
    private var stock = [String: Int]()

    /// Reserves one unit of `item`: a lookup that costs about 2 ms of CPU.
    func reserve(_ item: String) -> Int {
        let start = ContinuousClock.now
        var checksum = 0
        while ContinuousClock.now - start < .milliseconds(2) { checksum &+= item.hashValue }
        stock[item, default: 100] -= 1
        return stock[item]! + (checksum & 0)
    }
}

func reserveAll(_ items: [String], in inventory: Inventory) async -> Int {
    await withTaskGroup(of: Int.self) { group in
        for item in items {
            group.addTask { await inventory.reserve(item) }
        }
        return await group.reduce(0, +)
    }
}

func price(port: Int) async throws -> String {
    let url = URL(string: "http://127.0.0.1:\(port)/price")!
    let (data, _) = try await URLSession.shared.data(from: url)
    return String(decoding: data, as: UTF8.self)
}

let port = Int(ProcessInfo.processInfo.environment["PORT"] ?? "8080") ?? 8080
let recorder = FlightRecorder(configuration: .init(minAge: .seconds(5)))
try recorder.start()
try GlobalExecutorTakeover.install()
let limiter = try SnapshotLimiter(directory: ".", maxFiles: 2)

InstrumentationSystem.bootstrap(FlightRecorderTracer())

let inventory = Inventory()
let router = Router(context: FlightRecorderRequestContext.self)
// The slow-request middleware first: each request is then one task, with its span on it.
router.add(middleware: SlowRequestSnapshotMiddleware(recorder: recorder, limiter: limiter,
                                                     threshold: .milliseconds(100)))
router.add(middleware: TracingMiddleware())
router.get("/price") { _, _ in "12.50" }
router.get("/order") { _, _ -> String in
    let reserved = await reserveAll((0..<40).map { "item-\($0 % 8)" }, in: inventory)
    let unitPrice = try await price(port: port)
    try await Task.sleep(for: .milliseconds(50))
    return "reserved \(reserved) at \(unitPrice)\n"
}

let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
