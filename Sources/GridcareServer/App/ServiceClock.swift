import Logging
import ServiceLifecycle

/// The one loop of the service's clocks (the board's, the clinics'): a tick now and then every `interval`,
/// until the task is cancelled or the service shuts down gracefully. A failed tick is logged and tried
/// again next round. Shutting down wakes the sleep and cancels a tick under way, so Ctrl-C waits out
/// neither: each clock's tick must therefore be safe to stop half-way and to run again, and safe to run
/// on several service copies at once.
enum ServiceClock {
    static func run(_ name: String, every interval: Duration, logger: Logger, tick: @escaping @Sendable () async throws -> Void) async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await tick() }
            } catch  where Task.isCancelled || Task.isShuttingDownGracefully {
                break
            } catch {
                logger.warning("\(name) failed; trying again next round", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
