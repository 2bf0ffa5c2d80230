// A thread of its own for work that must not wait on the caller's (the read-ahead's producer,
// the background writer): started detached, so nothing joins it; it owns what `body` captured
// and ends when `body` returns.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Runs `body` on a new detached thread; false when no thread can be started.
package func startDetachedThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t?
    #endif
    let rc = pthread_create(&thread, nil, { raw in
        #if canImport(Glibc)
        let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
        #else
        let body = Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue()
        #endif
        body.run()
        return nil
    }, context)
    guard rc == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        return false
    }
    #if canImport(Glibc)
    pthread_detach(thread)
    #else
    pthread_detach(thread!)
    #endif
    return true
}
