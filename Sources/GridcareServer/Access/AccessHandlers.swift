import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.Me {
    init(_ a: Caller) {
        self.init(
            userId: a.userId,
            username: a.username,
            role: a.role,
            districtId: a.scope.districtId,
            workerId: a.workerId,
            hospitalId: a.hospitalId,
            microGridIds: a.scope.microGridIds,
            tokenExpiresAt: a.expiresAt
        )
    }
}

extension Components.Schemas.AuditEvent {
    init(_ e: AuditEvent) {
        self.init(
            id: e.id,
            at: e.at,
            userId: e.userId,
            role: e.role,
            districtId: e.districtId,
            operation: e.operation,
            action: .init(rawValue: e.action.rawValue)!,
            residentId: e.residentId,
            householdId: e.householdId,
            outcome: .init(rawValue: e.outcome.rawValue)!,
            detail: e.detail
        )
    }
}

extension APIHandler {
    func signIn(_ input: Operations.SignIn.Input) async throws -> Operations.SignIn.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let issued: IssuedToken
        let actor: Caller
        do {
            (issued, actor) = try await SignIn(database: database, config: config, passwords: passwords)(
                username: b.username,
                password: b.password,
                address: RequestScope.clientAddress,
                label: "sign-in",
                logger: logger
            )
        } catch SignIn.Refusal.rateLimited(let what, let seconds) {
            throw Problem(status: .tooManyRequests, detail: "Too many sign-ins for this \(what); retry after \(seconds) s.", retryAfter: seconds)
        } catch SignIn.Refusal.busy {
            throw Problem(status: .tooManyRequests, detail: "Every password check is busy; retry in a second.", retryAfter: 1)
        } catch SignIn.Refusal.wrongCredentials {
            throw Problem(
                status: .unauthorized,
                detail: "The username or password is wrong, or the account is locked.",
                errors: [FieldError("password", "does not match")]
            )
        }
        return .created(.init(body: .json(.init(token: issued.token, expiresAt: issued.expiresAt, user: .init(actor)))))
    }

    func signOut(_ input: Operations.SignOut.Input) async throws -> Operations.SignOut.Output {
        if let actor = RequestScope.actor { try await TokenStore(database).revoke(id: actor.tokenId, logger: logger) }
        return .noContent(.init())
    }

    func whoAmI(_ input: Operations.WhoAmI.Input) async throws -> Operations.WhoAmI.Output {
        guard let actor = RequestScope.actor else { throw Problem(status: .unauthorized) }
        return .ok(.init(body: .json(.init(actor))))
    }

    func listAuditEvents(_ input: Operations.ListAuditEvents.Input) async throws -> Operations.ListAuditEvents.Output {
        let q = input.query
        let page = try await AuditLog(db).list(
            .init(residentId: q.residentId, householdId: q.householdId, userId: q.userId),
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.AuditEvent.init), nextCursor: page.nextCursor))))
    }
}
