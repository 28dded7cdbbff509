import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Claims: an amount of an offer reserved for a request, carried by a worker, delivered or cancelled.
/// Stock and the per-worker cap are taken by conditional updates, so no race can over-claim either.
public struct ClaimStore: Sendable {
    let db: Database
    let rules: BoardRules
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database, rules: BoardRules = BoardRules()) {
        self.db = db
        self.rules = rules
    }

    /// Reserves `quantity` of an offer for a request the caller sees.
    public func claim(requestId: Int64, offerId: Int64, quantity: Int, today: SimpleDate, logger: Logger) async throws -> Claim {
        guard (1...10_000).contains(quantity) else { throw ValidationFailure([FieldError("quantity", "must be 1–10000")]) }
        let (user, _) = try db.caller("the board is used by signed-in users")
        let rules = self.rules
        return try await db.audited(logger: logger) { conn in
            guard
                let request = try await conn.records(
                    "\(unescaped: BoardRequest.select) WHERE q.id = \(requestId) FOR UPDATE OF q",
                    logger: logger,
                    BoardRequest.init(row:)
                ).first
            else {
                try await audit.record(.create, outcome: .denied, detail: "claim for board request \(requestId)", on: conn, logger: logger)
                return .refused(ValidationFailure([FieldError("requestId", "no such request")]))
            }
            func refuse(_ error: any Error) async throws -> Refusable<Claim> {
                try await audit.refused(
                    error,
                    .create,
                    residents: [request.residentId],
                    detail: "claim on offer \(offerId)",
                    on: conn,
                    logger: logger
                )
            }
            guard request.status == "open" else {
                return try await refuse(StoreError.conflict(field: "requestId", reason: "the request is \(request.status)"))
            }
            guard quantity <= request.outstanding else {
                return try await refuse(StoreError.conflict(field: "quantity", reason: "the request needs \(request.outstanding) more"))
            }
            // An offer of the request's district only (a deployment-wide administrator sees them all).
            guard
                let offer = try await conn.records(
                    """
                    \(unescaped: Offer.select) WHERE o.id = \(offerId) AND o.district_id = (SELECT district_id FROM board_request WHERE id = \(requestId))
                    """,
                    logger: logger,
                    Offer.init(row:)
                ).first
            else {
                return try await refuse(ValidationFailure([FieldError("offerId", "no such offer")]))
            }
            guard offer.category == request.category else {
                return try await refuse(
                    ValidationFailure([FieldError("offerId", "is \(offer.category.rawValue), the request asks for \(request.category.rawValue)")])
                )
            }
            if offer.category.needsDoctor, offer.approvedBy == nil || request.approvedBy == nil {
                return try await refuse(
                    StoreError.conflict(
                        field: "offerId",
                        reason: "prescription medicine needs a doctor's approval of both the offer and the request"
                    )
                )
            }
            // The cap first, then the stock; a refused take gives the cap back before the refusal commits.
            guard
                let load = try await conn.first(
                    """
                    INSERT INTO claimer_load AS l (user_id, open_claims) VALUES (\(user), 1)
                    ON CONFLICT (user_id) DO UPDATE SET open_claims = l.open_claims + 1 WHERE l.open_claims < \(rules.maxOpenClaimsPerWorker)
                    RETURNING open_claims
                    """,
                    as: Int.self,
                    logger: logger
                ), load <= rules.maxOpenClaimsPerWorker
            else {
                return try await refuse(
                    StoreError.conflict(
                        field: "quantity",
                        reason: "you already hold \(rules.maxOpenClaimsPerWorker) open claims (the most one worker may); deliver or cancel one first"
                    )
                )
            }
            guard
                try await conn.first(
                    """
                    UPDATE board_offer SET available = available - \(quantity), version = version + 1
                    WHERE id = \(offerId) AND status = 'open' AND expires_on >= \(today)::date AND available >= \(quantity)
                    RETURNING available
                    """,
                    as: Int.self,
                    logger: logger
                ) != nil
            else {
                try await conn.query("UPDATE claimer_load SET open_claims = open_claims - 1 WHERE user_id = \(user)", logger: logger)
                let now = try await conn.first(
                    "SELECT available, status::text, expires_on < \(today)::date FROM board_offer WHERE id = \(offerId)",
                    as: (Int, String, Bool).self,
                    logger: logger
                )!
                let reason =
                    now.2
                    ? "the item expired on \(offer.expiresOn.iso)"
                    : now.1 != "open"
                        ? "the offer is \(now.1)"
                        : "only \(now.0) \(offer.unit) left"
                return try await refuse(StoreError.conflict(field: "quantity", reason: reason))
            }
            let id = try await conn.first(
                """
                INSERT INTO board_claim (district_id, offer_id, request_id, resident_id, micro_grid_id, quantity, claimed_by, hold_until)
                SELECT q.district_id, \(offerId), q.id, q.resident_id, q.micro_grid_id, \(quantity), \(user), \(rules.holdUntil(reservedAt: Date()))
                FROM board_request q WHERE q.id = \(requestId)
                RETURNING id
                """,
                as: Int64.self,
                logger: logger
            )!
            try await audit.record(
                .create,
                residents: [request.residentId],
                detail: "claim \(id): \(quantity) \(offer.unit) \(offer.itemName) from offer \(offerId)",
                on: conn,
                logger: logger
            )
            return .done(try await claim(id, on: conn, logger: logger)!)
        }
    }

    /// Picks up, delivers or cancels a claim. Who claimed picks up and cancels (AccessRules.mayActOnClaim);
    /// delivering is confirmed by a grid worker of the recipient's micro-grid, of an unexpired item;
    /// cancelling returns the amount to the offer.
    public func act(_ id: Int64, _ action: ClaimStatus.Action, today: SimpleDate, ifVersion: Int?, logger: Logger) async throws -> Claim {
        let (user, role) = try db.caller("the board is used by signed-in users")
        return try await db.move(
            "claim",
            id,
            action,
            ifVersion: ifVersion,
            logger: logger,
            lock: { conn in
                try await conn.records("\(unescaped: Claim.select) WHERE c.id = \(id) FOR UPDATE OF c", logger: logger, Claim.init(row:)).first
            },
            allow: { current, _, conn in
                // The claim's row is locked and its claimer never changes, so no racing request gets past this.
                if !AccessRules.mayActOnClaim(action, claimedBy: current.claimedBy, caller: user, role: role) {
                    return StoreError.notAllowed(
                        action == .deliver
                            ? "the recipient's grid worker confirms a delivery"
                            : "only who claimed it picks up or cancels a claim"
                    )
                }
                let expired =
                    try await conn.first(
                        "SELECT expires_on < \(today)::date FROM board_offer WHERE id = \(current.offerId)",
                        as: Bool.self,
                        logger: logger
                    ) ?? false
                return action != .cancel && expired
                    ? StoreError.conflict(field: "action", reason: "the item has expired: it is never handed out; cancel the claim") : nil
            },
            write: { current, next, conn in
                switch next {
                case .pickedUp:
                    try await conn.query(
                        """
                        UPDATE board_claim SET status = 'picked_up', picked_up_by = \(user), picked_up_at = now(), version = version + 1 WHERE id = \(id)
                        """,
                        logger: logger
                    )
                case .delivered:
                    try await conn.query(
                        """
                        UPDATE board_claim SET status = 'delivered', delivered_by = \(user), delivered_at = now(), version = version + 1 WHERE id = \(id)
                        """,
                        logger: logger
                    )
                    try await conn.query(
                        """
                        UPDATE board_request SET delivered = delivered + \(current.quantity), version = version + 1,
                               status = CASE WHEN delivered + \(current.quantity) >= quantity THEN 'fulfilled' ELSE status END,
                               fulfilled_at = CASE WHEN delivered + \(current.quantity) >= quantity THEN now() ELSE fulfilled_at END
                        WHERE id = \(current.requestId)
                        """,
                        logger: logger
                    )
                case .cancelled:
                    try await conn.query(
                        """
                        UPDATE board_claim SET status = 'cancelled', cancelled_by = \(user), cancelled_at = now(), cancel_reason = 'cancelled',
                               version = version + 1 WHERE id = \(id)
                        """,
                        logger: logger
                    )
                case .reserved:
                    break
                }
                // Leaving the open states, the trigger board_claim_closed (0025) returns a cancelled claim's stock
                // to its offer and the claimer's place under the cap: the board's clock closes claims too.
                return try await claim(id, on: conn, logger: logger)!
            }
        )
    }

    /// Claims the caller sees: open ones unless asked, or one worker's.
    public func list(openOnly: Bool, claimedBy: Int64?, requestId: Int64?, page: PageRequest, logger: Logger) async throws -> Page<Claim> {
        try await db.transaction(logger: logger) { conn in
            let rows = try await conn.records(
                """
                \(unescaped: Claim.select)
                WHERE c.id > \(page.afterId) AND (NOT \(openOnly) OR c.status IN ('reserved', 'picked_up'))
                  AND (\(claimedBy)::bigint IS NULL OR c.claimed_by = \(claimedBy))
                  AND (\(requestId)::bigint IS NULL OR c.request_id = \(requestId))
                ORDER BY c.id LIMIT \(page.fetch)
                """,
                logger: logger,
                Claim.init(row:)
            )
            let result = page.page(rows, id: \.id)
            try await audit.record(
                .search,
                residents: Array(Set(result.items.map(\.residentId))).sorted(),
                detail: result.items.isEmpty ? "claims: no results" : "claims",
                on: conn,
                logger: logger
            )
            return result
        }
    }

    func claim(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Claim? {
        try await conn.records("\(unescaped: Claim.select) WHERE c.id = \(id)", logger: logger, Claim.init(row:)).first
    }
}
