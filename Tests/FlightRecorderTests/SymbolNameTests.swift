// Demangled names shortened to what a reader recognizes, and functions named from the ELF
// symbol table of an executable linked without --export-dynamic.

#if canImport(Glibc)
import Glibc
#endif
import CFlightRecorder
@testable import FlightRecorder
import Testing

@Suite struct SymbolNames {
    @Test("a demangled name keeps its context, closure numbers and argument labels",
          arguments: [
              ("closure #1 (inout Swift.TaskGroup<Swift.Int>) async -> Swift.Int in ActorShop.reserveAll(_: Swift.Array<Swift.String>, in: ActorShop.Inventory) async -> Swift.Int",
               "closure #1 in ActorShop.reserveAll(_:in:)"),
              ("(1) suspend resume partial function for ActorShop.reserveAll(_: Swift.Array<Swift.String>, in: ActorShop.Inventory) async -> Swift.Int",
               "ActorShop.reserveAll(_:in:)"),
              ("generic specialization <Swift.Int> of Swift.Task.init(name: Swift.String?, priority: Swift.TaskPriority?, operation: sending @escaping @isolated(any) () async -> A) -> Swift.Task<A, Swift.Never>",
               "Swift.Task.init(name:priority:operation:)"),
              ("Shop.Cart.checkout() async throws -> Swift.Int", "Shop.Cart.checkout()"),
              ("static Shop.Cache<A>.lookup(key: A) -> Swift.Optional<Swift.String>", "static Shop.Cache.lookup(key:)"),
              ("implicit closure #2 () -> () in closure #1 @Sendable () async -> () in Shop.main() async -> ()",
               "implicit closure #2 in closure #1 in Shop.main()"),
              ("swift_task_create", "swift_task_create"),
              ("closure #2 in ServiceLifecycle.ServiceGroup.(_run in _D0EAF477062406CACED18D16156D185B)(services: inout Swift.Array, gracefulShutdownStream: Swift.AsyncStream) async throws -> ()",
               "closure #2 in ServiceLifecycle.ServiceGroup._run(services:gracefulShutdownStream:)"),
          ])
    func shortened(_ demangled: String, _ expected: String) {
        #expect(SwiftSymbolName.simplified(demangled) == expected)
    }

    @Test("a function of the test executable that dladdr cannot name is named from its symbol table")
    func unexportedFunctionIsNamed() throws {
        let pc = UInt(bitPattern: unsafeBitCast(symbolizedFunction as @convention(c) () -> Int, to: UnsafeRawPointer.self))
        var symbol: UnsafePointer<CChar>?
        var image: UnsafePointer<CChar>?
        var offset: UInt = 0
        #expect(fr_symbol_info(pc, &symbol, &image, &offset))
        let path = String(cString: try #require(image))
        let mangled = try #require(ElfSymbols.shared.name(image: path, pc: pc, offset: offset))
        let demangled = try #require(fr_demangle(mangled))
        defer { free(demangled) }
        #expect(SwiftSymbolName.simplified(String(cString: demangled)).contains("symbolizedFunction"))
    }

    @Test("an address in no image is not named")
    func addressInNoImage() {
        var symbol: UnsafePointer<CChar>?
        var image: UnsafePointer<CChar>?
        var offset: UInt = 0
        #expect(!fr_symbol_info(16, &symbol, &image, &offset))
    }
}

/// Internal to the test module: not in the dynamic symbol table.
@inline(never)
func symbolizedFunction() -> Int { 42 }
