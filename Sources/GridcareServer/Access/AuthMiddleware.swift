import Foundation
import GridcareCore
import GridcareStore
import HTTPTypes
import OpenAPIRuntime

/// Signs every request in from its bearer token and checks the operation's rule in AccessRules before the
/// handler runs; the caller then travels in RequestScope. A role refusal is audited.
struct AuthMiddleware: ServerMiddleware {
    let db: Database

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let logger = RequestScope.logger
        if AccessRules.anonymous.contains(operationID) {
            return try await RequestScope.$operation.withValue(operationID) { try await next(request, body, metadata) }
        }
        guard let token = Self.bearer(request.headerFields[.authorization]),
            let actor = try await TokenStore(db).authenticate(token, logger: logger)
        else {
            throw Problem(
                status: .unauthorized,
                detail: "Sign in first: send Authorization: Bearer <token> (a missing, expired or revoked token is refused)."
            )
        }
        guard AccessRules.allows(actor.role, operationID) else {
            try await AuditLog(db.scoped(actor.scope, operation: operationID)).record(.call, outcome: .denied, detail: "role", logger: logger)
            throw Problem(status: .forbidden, detail: "A \(actor.role.rawValue) may not call \(operationID).")
        }
        var logger2 = logger
        logger2[metadataKey: "user"] = "\(actor.userId)"
        return try await RequestScope.$actor.withValue(actor) {
            try await RequestScope.$operation.withValue(operationID) {
                try await RequestScope.$logger.withValue(logger2) { try await next(request, body, metadata) }
            }
        }
    }

    /// The token of an `Authorization: Bearer …` header.
    static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }
}
