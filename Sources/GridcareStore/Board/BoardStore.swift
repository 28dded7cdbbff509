import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Boxes, offers and requests of the medicine-box board. Offers are public within the district; a
/// request is seen where its resident is. Every change is audited (with the resident for requests).
public struct BoardStore: Sendable {
    let db: Database
    let rules: BoardRules
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database, rules: BoardRules = BoardRules()) {
        self.db = db
        self.rules = rules
    }

    // MARK: boxes

    /// Sets up a box or relay point at a community or micro-grid, kept by a worker of the district.
    public func createBox(areaId: Int64, kind: String, name: String, place: String?, custodianId: Int64, logger: Logger) async throws -> MedicineBox {
        var c = FieldChecker()
        c.text(name, "name", max: 200)
        c.text(place, "place", max: 300, required: false)
        c.require(["box", "relay_point"].contains(kind), "kind", "must be box or relay_point")
        try c.finish()
        _ = try db.caller("the board is used by signed-in users")
        return try await db.audited(logger: logger) { conn in
            guard
                let id = try await conn.first(
                    """
                    INSERT INTO medicine_box (district_id, area_id, community_id, grid_id, micro_grid_id, kind, name, place, custodian_id)
                    SELECT a.district_id, a.id, CASE a.level WHEN 'community' THEN a.id ELSE g.parent_id END,
                           g.id, CASE WHEN a.level = 'micro_grid' THEN a.id END, \(kind)::box_kind, \(name.trimmed), \(place?.trimmed), w.id
                    FROM area a LEFT JOIN area g ON a.level = 'micro_grid' AND g.id = a.parent_id
                    JOIN worker w ON w.id = \(custodianId) AND w.district_id = a.district_id AND w.active
                    WHERE a.id = \(areaId) AND a.level IN ('community', 'micro_grid')
                    RETURNING id
                    """,
                    as: Int64.self,
                    logger: logger
                )
            else {
                let area = try await conn.first(
                    "SELECT 1 FROM area WHERE id = \(areaId) AND level IN ('community', 'micro_grid')",
                    as: Int.self,
                    logger: logger
                )
                return .refused(
                    ValidationFailure([
                        area == nil
                            ? FieldError("areaId", "is not a community or micro-grid you can see")
                            : FieldError("custodianId", "is not an active worker of the district")
                    ])
                )
            }
            try await audit.record(.create, detail: "medicine box \(id)", on: conn, logger: logger)
            return .done(
                try await conn.first("\(unescaped: MedicineBox.select) WHERE b.id = \(id)", logger: logger, MedicineBox.init)!
            )
        }
    }

    public func boxes(areaId: Int64?, logger: Logger) async throws -> [MedicineBox] {
        try await db.rows(
            """
            \(unescaped: MedicineBox.select)
            WHERE b.active AND (\(areaId)::bigint IS NULL OR \(areaId) IN (b.area_id, b.community_id, b.grid_id, b.micro_grid_id))
            ORDER BY b.id LIMIT 1000
            """,
            logger: logger,
            MedicineBox.init
        )
    }

    // MARK: offers

    public struct OfferDraft: Sendable {
        public var boxId: Int64, itemName: String, category: BoardCategory, quantity: Int, unit: String, expiresOn: SimpleDate
        public var donorName: String, note: String?
        public init(
            boxId: Int64,
            itemName: String,
            category: BoardCategory,
            quantity: Int,
            unit: String,
            expiresOn: SimpleDate,
            donorName: String,
            note: String?
        ) {
            self.boxId = boxId
            self.itemName = itemName
            self.category = category
            self.quantity = quantity
            self.unit = unit
            self.expiresOn = expiresOn
            self.donorName = donorName
            self.note = note
        }
    }

    /// Puts a neighbour's spare items on the board; an item already expired is refused.
    public func postOffer(_ d: OfferDraft, today: SimpleDate, logger: Logger) async throws -> Offer {
        var c = FieldChecker()
        c.text(d.itemName, "itemName", max: 200)
        c.text(d.unit, "unit", max: 20)
        c.text(d.donorName, "donorName", max: 100)
        c.text(d.note, "note", max: 1000, required: false)
        c.require((1...100_000).contains(d.quantity), "quantity", "must be 1–100000")
        c.require(d.expiresOn >= today, "expiresOn", "has passed: an expired item never goes on the board")
        c.require(d.expiresOn <= today.adding(years: 10), "expiresOn", "must be within ten years")
        try c.finish()
        let (user, _) = try db.caller("the board is used by signed-in users")
        return try await db.audited(logger: logger) { conn in
            guard
                let id = try await conn.first(
                    """
                    INSERT INTO board_offer (district_id, box_id, item_name, category, quantity, available, unit, expires_on, donor_name, note, posted_by)
                    SELECT b.district_id, b.id, \(d.itemName.trimmed), \(d.category.rawValue)::board_category, \(d.quantity), \(d.quantity),
                           \(d.unit.trimmed), \(d.expiresOn)::date, \(d.donorName.trimmed), \(d.note?.trimmed), \(user)
                    FROM medicine_box b WHERE b.id = \(d.boxId) AND b.active
                    RETURNING id
                    """,
                    as: Int64.self,
                    logger: logger
                )
            else {
                return .refused(ValidationFailure([FieldError("boxId", "no such box")]))
            }
            try await audit.record(
                .create,
                detail: "board offer \(id): \(d.quantity) \(d.unit) \(d.itemName) from \(d.donorName)",
                on: conn,
                logger: logger
            )
            return .done(try await offer(id, on: conn, logger: logger)!)
        }
    }

    public struct OfferFilter: Sendable {
        public var areaId: Int64?, boxId: Int64?, category: BoardCategory?, includeClosed: Bool
        public init(areaId: Int64? = nil, boxId: Int64? = nil, category: BoardCategory? = nil, includeClosed: Bool = false) {
            self.areaId = areaId
            self.boxId = boxId
            self.category = category
            self.includeClosed = includeClosed
        }
    }

    /// Offers on the board (open ones unless asked), the soonest to expire first.
    public func offers(_ f: OfferFilter, page: PageRequest, logger: Logger) async throws -> Page<Offer> {
        try await db.read(logger: logger) { conn in
            let rows = try await conn.records(
                """
                \(unescaped: Offer.select)
                WHERE o.id > \(page.afterId)
                  AND (\(f.includeClosed) OR o.status = 'open')
                  AND (\(f.boxId)::bigint IS NULL OR o.box_id = \(f.boxId))
                  AND (\(f.category?.rawValue)::board_category IS NULL OR o.category = \(f.category?.rawValue)::board_category)
                  AND (\(f.areaId)::bigint IS NULL OR \(f.areaId) IN (b.area_id, b.community_id, b.grid_id, b.micro_grid_id))
                ORDER BY o.id LIMIT \(page.fetch)
                """,
                logger: logger,
                Offer.init(row:)
            )
            return page.page(rows, id: \.id)
        }
    }

    public func offer(_ id: Int64, logger: Logger) async throws -> Offer {
        try await db.read(logger: logger) { try await offer(id, on: $0, logger: logger) }.orThrow(StoreError.notFound("offer"))
    }

    func offer(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Offer? {
        try await conn.records("\(unescaped: Offer.select) WHERE o.id = \(id)", logger: logger, Offer.init(row:)).first
    }

    /// Takes an offer off the board: its poster's (or an administrator's) to do, checked on the locked row;
    /// refused while units of it are reserved or on their way.
    public func withdrawOffer(_ id: Int64, logger: Logger) async throws -> Offer {
        let (user, role) = try db.caller("the board is used by signed-in users")
        return try await db.audited(logger: logger) { conn in
            guard
                let current = try await conn.records(
                    "\(unescaped: Offer.select) WHERE o.id = \(id) FOR UPDATE OF o",
                    logger: logger,
                    Offer.init(row:)
                ).first
            else {
                return .refused(StoreError.notFound("offer"))
            }
            guard AccessRules.mayWithdrawOffer(postedBy: current.postedBy, caller: user, role: role) else {
                try await audit.record(.update, outcome: .denied, detail: "board offer \(id) withdraw", on: conn, logger: logger)
                return .refused(StoreError.notAllowed("only who posted an offer withdraws it"))
            }
            guard current.status == "open" else { return .refused(StoreError.conflict(field: "status", reason: "the offer is \(current.status)")) }
            let held =
                try await conn.first(
                    """
                    SELECT coalesce(sum(quantity), 0)::int FROM board_claim WHERE offer_id = \(id) AND status IN ('reserved', 'picked_up')
                    """,
                    as: Int.self,
                    logger: logger
                ) ?? 0
            if held > 0 {
                return .refused(StoreError.conflict(field: "status", reason: "\(held) units are claimed; cancel those claims first"))
            }
            try await conn.query(
                "UPDATE board_offer SET status = 'withdrawn', closed_at = now(), version = version + 1 WHERE id = \(id)",
                logger: logger
            )
            try await audit.record(.update, detail: "board offer \(id) withdrawn", on: conn, logger: logger)
            return .done(try await offer(id, on: conn, logger: logger)!)
        }
    }

    /// A doctor approves a prescription offer (the only kind that needs it) for matching.
    public func approveOffer(_ id: Int64, logger: Logger) async throws -> Offer {
        let (user, role) = try db.caller("the board is used by signed-in users")
        return try await db.audited(logger: logger) { conn in
            guard let current = try await offer(id, on: conn, logger: logger) else { return .refused(StoreError.notFound("offer")) }
            guard current.category.needsDoctor else {
                return .refused(ValidationFailure([FieldError("category", "only prescription medicine needs a doctor's approval")]))
            }
            if role != .admin,
                try await conn.first(
                    """
                    SELECT 1 FROM app_user u JOIN worker w ON w.id = u.worker_id AND w.role = 'doctor' WHERE u.id = \(user)
                    """,
                    as: Int.self,
                    logger: logger
                ) == nil
            {
                return .refused(StoreError.notAllowed("only a doctor approves prescription medicine"))
            }
            try await conn.query(
                """
                UPDATE board_offer SET approved_by = \(user), approved_at = now(), version = version + 1 WHERE id = \(id) AND approved_by IS NULL
                """,
                logger: logger
            )
            try await audit.record(.update, detail: "board offer \(id) approved", on: conn, logger: logger)
            return .done(try await offer(id, on: conn, logger: logger)!)
        }
    }
}
