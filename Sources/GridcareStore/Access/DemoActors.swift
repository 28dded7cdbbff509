import Foundation
import Logging

/// Demo data written through the real stores, as the demo users would write it (scoped, checked,
/// audited): each user gets a short-lived token, revoked when `body` is done.
enum DemoActors {
    static func acting<T: Sendable>(as userIds: [Int64], db: Database, logger: Logger, _ body: ([Database]) async throws -> T) async throws -> T {
        let tokens = TokenStore(db)
        var issued: [Int64] = []
        var scoped: [Database] = []
        for user in userIds {
            let token = try await tokens.issue(userId: user, lifetime: .seconds(600), label: "demo data", logger: logger)
            issued.append(token.id)
            guard let caller = try await tokens.authenticate(token.token, logger: logger) else { throw StoreError.notFound("demo user") }
            scoped.append(db.scoped(caller.scope, operation: "cli demo"))
        }
        let result = try await body(scoped)
        for id in issued { _ = try await tokens.revoke(id: id, logger: logger) }
        return result
    }
}
