import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// An offer that could fill a request, and how near its box is to the resident.
public struct OfferMatch: Sendable, Equatable {
    public var offer: Offer, proximity: Proximity
}

/// Requests for residents, and matching them to offers.
public struct BoardRequestStore: Sendable {
    let db: Database
    let rules: BoardRules
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database, rules: BoardRules = BoardRules()) {
        self.db = db
        self.rules = rules
    }

    public struct Draft: Sendable {
        public var residentId: Int64, itemName: String?, category: BoardCategory, quantity: Int, urgency: BoardUrgency, reason: String
        public init(residentId: Int64, itemName: String?, category: BoardCategory, quantity: Int, urgency: BoardUrgency, reason: String) {
            self.residentId = residentId
            self.itemName = itemName
            self.category = category
            self.quantity = quantity
            self.urgency = urgency
            self.reason = reason
        }
    }

    /// Asks the board for a resident the caller looks after.
    public func post(_ d: Draft, logger: Logger) async throws -> BoardRequest {
        var c = FieldChecker()
        c.text(d.itemName, "itemName", max: 200, required: false)
        c.text(d.reason, "reason", max: 1000)
        c.require((1...10_000).contains(d.quantity), "quantity", "must be 1–10000")
        try c.finish()
        let (user, _) = try db.caller("the board is used by signed-in users")
        return try await db.audited(logger: logger) { conn in
            guard
                let id = try await conn.first(
                    """
                    INSERT INTO board_request (district_id, resident_id, micro_grid_id, item_name, category, quantity, urgency, reason, posted_by)
                    SELECT r.district_id, r.id, r.micro_grid_id, \(d.itemName?.trimmed), \(d.category.rawValue)::board_category, \(d.quantity),
                           \(d.urgency.rawValue)::board_urgency, \(d.reason.trimmed), \(user)
                    FROM resident r WHERE r.id = \(d.residentId)
                    RETURNING id
                    """,
                    as: Int64.self,
                    logger: logger
                )
            else {
                try await audit.record(.create, residents: [d.residentId], outcome: .denied, detail: "board request", on: conn, logger: logger)
                return .refused(ValidationFailure([FieldError("residentId", "no such resident")]))
            }
            try await audit.record(.create, residents: [d.residentId], detail: "board request \(id)", on: conn, logger: logger)
            return .done(try await request(id, on: conn, logger: logger)!)
        }
    }

    public func get(_ id: Int64, logger: Logger) async throws -> BoardRequest {
        try await db.audited(logger: logger) { conn in
            guard let r = try await request(id, on: conn, logger: logger) else {
                try await audit.record(.read, outcome: .denied, detail: "board request \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound("request"))
            }
            try await audit.record(.read, residents: [r.residentId], detail: "board request \(id)", on: conn, logger: logger)
            return .done(r)
        }
    }

    public struct Filter: Sendable {
        public var areaId: Int64?, residentId: Int64?, openOnly: Bool
        public init(areaId: Int64? = nil, residentId: Int64? = nil, openOnly: Bool = true) {
            self.areaId = areaId
            self.residentId = residentId
            self.openOnly = openOnly
        }
    }

    /// Requests of the residents the caller sees; urgent and oldest first when only open ones are asked for.
    public func list(_ f: Filter, page: PageRequest, logger: Logger) async throws -> Page<BoardRequest> {
        try await db.transaction(logger: logger) { conn in
            let rows = try await conn.records(
                """
                \(unescaped: BoardRequest.select)
                WHERE q.id > \(page.afterId)
                  AND (NOT \(f.openOnly) OR q.status = 'open')
                  AND (\(f.residentId)::bigint IS NULL OR q.resident_id = \(f.residentId))
                  AND (\(f.areaId)::bigint IS NULL OR q.micro_grid_id = \(f.areaId)
                       OR q.micro_grid_id IN (SELECT m.id FROM area m JOIN area g ON g.id = m.parent_id
                                              WHERE m.level = 'micro_grid' AND \(f.areaId) IN (g.id, g.parent_id)))
                ORDER BY q.id LIMIT \(page.fetch)
                """,
                logger: logger,
                BoardRequest.init(row:)
            )
            let result = page.page(rows, id: \.id)
            try await audit.record(
                .search,
                residents: Array(Set(result.items.map(\.residentId))).sorted(),
                detail: result.items.isEmpty ? "board requests: no results" : "board requests",
                on: conn,
                logger: logger
            )
            return result
        }
    }

    /// A doctor of the resident's team approves a request for prescription medicine.
    public func approve(_ id: Int64, logger: Logger) async throws -> BoardRequest {
        try await change(id, logger: logger) { current, user, role, conn in
            guard current.category.needsDoctor else {
                return ValidationFailure([FieldError("category", "only prescription medicine needs a doctor's approval")])
            }
            if role != .admin, try await !conn.isTeamDoctor(user, microGridId: current.microGridId, logger: logger) {
                return StoreError.notAllowed("only a doctor of the resident's team approves prescription medicine")
            }
            try await conn.query(
                "UPDATE board_request SET approved_by = \(user), approved_at = now(), version = version + 1 WHERE id = \(id) AND approved_by IS NULL",
                logger: logger
            )
            return nil
        }
    }

    /// Withdraws a request nobody is carrying anything for.
    public func cancel(_ id: Int64, logger: Logger) async throws -> BoardRequest {
        try await change(id, logger: logger) { current, _, _, conn in
            if current.claimed > 0 {
                return StoreError.conflict(field: "status", reason: "\(current.claimed) units are on their way; cancel those claims first")
            }
            try await conn.query(
                "UPDATE board_request SET status = 'cancelled', cancelled_at = now(), version = version + 1 WHERE id = \(id)",
                logger: logger
            )
            return nil
        }
    }

    /// Locks an open request the caller sees, runs `body` (which returns a refusal or nil), audits either way.
    func change(
        _ id: Int64,
        logger: Logger,
        _ body: @Sendable (BoardRequest, Int64, Role, PostgresConnection) async throws -> (any Error)?
    ) async throws -> BoardRequest {
        let (user, role) = try db.caller("the board is used by signed-in users")
        return try await db.audited(logger: logger) { conn in
            guard
                let current = try await conn.records(
                    "\(unescaped: BoardRequest.select) WHERE q.id = \(id) FOR UPDATE OF q",
                    logger: logger,
                    BoardRequest.init(row:)
                ).first
            else {
                try await audit.record(.update, outcome: .denied, detail: "board request \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound("request"))
            }
            var refusal: (any Error)? =
                current.status == "open" ? nil : StoreError.conflict(field: "status", reason: "the request is \(current.status)")
            if refusal == nil { refusal = try await body(current, user, role, conn) }
            try await audit.record(
                .update,
                residents: [current.residentId],
                outcome: refusal == nil ? .ok : .refused,
                detail: "board request \(id)",
                on: conn,
                logger: logger
            )
            if let refusal { return .refused(refusal) }
            return .done(try await request(id, on: conn, logger: logger)!)
        }
    }

    /// Offers that could fill what is still outstanding: unexpired, open, of the category (and item, when
    /// named), with enough left, prescription items only when a doctor approved both sides; nearest box
    /// first (same micro-grid, grid, community, then the district), then the soonest to expire.
    public func matches(_ id: Int64, today: SimpleDate, logger: Logger) async throws -> (request: BoardRequest, matches: [OfferMatch]) {
        let request = try await get(id, logger: logger)
        guard request.status == "open", request.outstanding > 0 else { return (request, []) }
        let rows = try await db.read(logger: logger) { conn in
            try await conn.query(
                """
                WITH place AS (SELECT m.id AS micro_grid_id, g.id AS grid_id, g.parent_id AS community_id
                               FROM area m JOIN area g ON g.id = m.parent_id WHERE m.id = \(request.microGridId))
                SELECT \(unescaped: Offer.columns), n.nearness \(unescaped: Offer.from)
                CROSS JOIN place
                CROSS JOIN LATERAL (SELECT CASE WHEN b.micro_grid_id = place.micro_grid_id THEN 0 WHEN b.grid_id = place.grid_id THEN 1
                                                WHEN b.community_id = place.community_id THEN 2 ELSE 3 END AS nearness) n
                WHERE o.status = 'open' AND o.expires_on >= \(today)::date AND o.available >= \(request.outstanding)
                  AND o.category = \(request.category.rawValue)::board_category
                  AND (\(request.itemName)::text IS NULL OR o.item_name ILIKE '%' || \(request.itemName.map(likePrefix)) || '%')
                  AND (o.category <> 'prescription_medicine' OR (o.approved_by IS NOT NULL AND \(request.approvedBy)::bigint IS NOT NULL))
                ORDER BY n.nearness, o.expires_on, o.id
                LIMIT 20
                """,
                logger: logger
            ).collect()
        }
        return (
            request,
            try rows.map { row in
                OfferMatch(offer: try Offer(row: row), proximity: Proximity.allCases[try row.makeRandomAccess()["nearness"].decode(Int.self)])
            }
        )
    }

    func request(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> BoardRequest? {
        try await conn.records("\(unescaped: BoardRequest.select) WHERE q.id = \(id)", logger: logger, BoardRequest.init(row:)).first
    }
}
