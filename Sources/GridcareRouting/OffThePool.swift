import Dispatch
import Synchronization

/// Runs CPU-bound work (a solve, a city's mobilisation check) on a GCD thread instead of Swift's
/// cooperative pool, whose few threads also serve requests and fire their deadlines: a long solve must
/// never starve them.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
    }
}

/// The same, for work that polls a stop flag: cancelling the calling task (a request whose deadline
/// passed, a server shutting down) raises the flag, since Task cancellation does not reach a plain thread.
/// The work returns early with what it has; the caller checks cancellation and discards it.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable (StopFlag) -> T) async -> T {
    let stop = StopFlag()
    return await withTaskCancellationHandler {
        await offThePool { work(stop) }
    } onCancel: {
        stop.raise()
    }
}

/// A flag one thread raises and CPU-bound loops on others poll between iterations.
public final class StopFlag: Sendable {
    let raised = Atomic<Bool>(false)
    public init() {}
    public func raise() { raised.store(true, ordering: .relaxed) }
    public var isRaised: Bool { raised.load(ordering: .relaxed) }
}
