import Foundation
import GridcareCore
import GridcareStore
import Hummingbird
import Logging
import ServiceLifecycle

/// The service's half of the board's clock: every `rules.board.expiryJobMinutes` it expires offers past
/// their date and returns reservations not picked up in time (`gridcare board expire` is the other half).
/// Many copies of the service may run it at once: the function's updates are idempotent.
struct BoardClock: Service {
    let db: Database
    let rules: BoardRules
    let logger: Logger

    func run() async throws {
        let interval = Duration.seconds(60 * rules.expiryJobMinutes)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let done = try await BoardReports(db).expire(today: SimpleDate.todayInChina(), logger: logger)
                if done.expiredOffers + done.lapsedClaims > 0 {
                    logger.info("board clock", metadata: ["expiredOffers": "\(done.expiredOffers)", "lapsedClaims": "\(done.lapsedClaims)"])
                }
            } catch {
                logger.warning("board clock failed; trying again next round", metadata: ["error": "\(String(reflecting: error))"])
            }
            // Shutting down wakes the sleep, so Ctrl-C does not wait out the interval.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
