import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Registrations held because their identity number is an active resident the registering caller could not
/// see (ResidentStore.create). Only a deployment administrator sees them (row-level security); deciding
/// `transfer` makes the new registration the person's record and the old one moved out, `refuse` leaves the
/// new one held. Both resident ids are audited.
public struct RegistrationReviewStore: Sendable {
    let db: Database
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database) { self.db = db }

    public struct Review: Sendable, Equatable {
        public var id: Int64, residentId: Int64, residentDistrictId: Int64, existingResidentId: Int64, existingDistrictId: Int64
        public var requestedBy: Int64?, status: String, createdAt: Date, decidedAt: Date?, decidedBy: Int64?, note: String?
    }

    public enum Decision: String, Sendable { case transfer, refuse }

    static let select = """
        SELECT v.id, v.resident_id, n.district_id AS resident_district_id, v.existing_resident_id, o.district_id AS existing_district_id, v.requested_by, v.status, v.created_at,
               v.decided_at, v.decided_by, v.note
        FROM registration_review v JOIN resident n ON n.id = v.resident_id JOIN resident o ON o.id = v.existing_resident_id
        """
    static func review(_ c: Columns) throws -> Review {
        Review(
            id: try c("id"),
            residentId: try c("resident_id"),
            residentDistrictId: try c("resident_district_id"),
            existingResidentId: try c("existing_resident_id"),
            existingDistrictId: try c("existing_district_id"),
            requestedBy: try c("requested_by"),
            status: try c("status"),
            createdAt: try c("created_at"),
            decidedAt: try c("decided_at"),
            decidedBy: try c("decided_by"),
            note: try c("note")
        )
    }

    public func list(pendingOnly: Bool, page: PageRequest, logger: Logger) async throws -> Page<Review> {
        try await db.transaction(logger: logger) { conn in
            let rows = try await conn.rows(
                """
                \(unescaped: Self.select)
                WHERE v.id > \(page.afterId) AND (NOT \(pendingOnly) OR v.status = 'pending') ORDER BY v.id LIMIT \(page.fetch)
                """,
                logger: logger,
                Self.review
            )
            let result = page.page(rows, id: \.id)
            try await audit.record(
                .search,
                residents: result.items.flatMap { [$0.residentId, $0.existingResidentId] },
                detail: "registration reviews",
                on: conn,
                logger: logger
            )
            return result
        }
    }

    public func decide(_ id: Int64, _ decision: Decision, note: String?, logger: Logger) async throws -> Review {
        var c = FieldChecker()
        if let note { c.text(note, "note", max: 2000, required: false) }
        try c.finish()
        let (user, _) = try db.caller("registration reviews are decided by a signed-in administrator")
        return try await db.audited(logger: logger) { conn in
            guard
                let current = try await conn.first("\(unescaped: Self.select) WHERE v.id = \(id) FOR UPDATE OF v", logger: logger, Self.review)
            else {
                try await audit.record(.update, outcome: .denied, detail: "registration review \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound("registration review"))
            }
            let residents = [current.residentId, current.existingResidentId]
            guard current.status == "pending" else {
                return try await audit.refused(
                    StoreError.conflict(field: "decision", reason: "the review was decided already"),
                    .update,
                    residents: residents,
                    detail: "registration review \(id)",
                    on: conn,
                    logger: logger
                )
            }
            if decision == .transfer {
                // The old record leaves the unique index before the new one joins it.
                try await conn.query(
                    "UPDATE resident SET registration = 'moved_out', version = version + 1, updated_at = now() WHERE id = \(current.existingResidentId)",
                    logger: logger
                )
                try await conn.query(
                    "UPDATE resident SET registration = 'active', version = version + 1, updated_at = now() WHERE id = \(current.residentId)",
                    logger: logger
                )
            }
            try await conn.query(
                """
                UPDATE registration_review SET status = \(decision == .transfer ? "transferred" : "refused"), decided_at = now(),
                       decided_by = \(user), note = \(note?.trimmed)
                WHERE id = \(id)
                """,
                logger: logger
            )
            try await audit.record(.update, residents: residents, detail: "registration review \(id): \(decision.rawValue)", on: conn, logger: logger)
            return .done(try await conn.first("\(unescaped: Self.select) WHERE v.id = \(id)", logger: logger, Self.review)!)
        }
    }
}
