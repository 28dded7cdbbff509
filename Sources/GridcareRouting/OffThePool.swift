import Dispatch

/// Runs CPU-bound work (a solve, a city's mobilisation check) on a GCD thread instead of Swift's
/// cooperative pool, whose few threads also serve requests and fire their deadlines: a long solve must
/// never starve them.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
    }
}
