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
        await ServiceClock.run("board clock", every: .seconds(60 * rules.expiryJobMinutes), logger: logger) { try await tick() }
    }

    func tick() async throws {
        let done = try await BoardReports(db).expire(today: SimpleDate.todayInChina(), logger: logger)
        if done.expiredOffers + done.lapsedClaims > 0 {
            logger.info("board clock", metadata: ["expiredOffers": "\(done.expiredOffers)", "lapsedClaims": "\(done.lapsedClaims)"])
        }
    }
}
