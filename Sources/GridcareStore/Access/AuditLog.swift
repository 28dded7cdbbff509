import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// What an audit row records.
public enum AuditAction: String, Sendable, CaseIterable {
    case read, search, create, update, `import`, call
    /// A whole identity number (and birth date) shown: the full-number views of AccessRules.mayRevealIdentity.
    case reveal
}

/// How the attempt ended: done, refused because the caller may not (role or scope), or refused as invalid.
public enum AuditOutcome: String, Sendable, CaseIterable {
    case ok, denied, refused
}

public struct AuditEvent: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var userId: Int64?
    public var role: String?
    public var districtId: Int64?
    public var operation: String
    public var action: AuditAction
    public var residentId: Int64?
    public var householdId: Int64?
    public var outcome: AuditOutcome
    public var detail: String?
}

/// The append-only audit trail of residents' data. Rows are written on the connection of the change they
/// record, so they commit or roll back with it; the service role may insert and read them, never change them.
public struct AuditLog: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    /// Audits a refused attempt and hands the refusal back for `Database.audited` to throw after the commit.
    public func refused<T: Sendable>(
        _ error: any Error,
        _ action: AuditAction,
        residents: [Int64] = [],
        outcome: AuditOutcome = .refused,
        detail: String?,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws -> Refusable<T> {
        try await record(action, residents: residents, outcome: outcome, detail: detail, on: conn, logger: logger)
        return .refused(error)
    }

    /// Records one row per resident (or one without a resident) inside the caller's transaction.
    public func record(
        _ action: AuditAction,
        residents: [Int64] = [],
        outcome: AuditOutcome = .ok,
        detail: String? = nil,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws {
        try await write(entry(action, outcome: outcome, detail: detail, residents: residents, households: []), on: conn, logger: logger)
    }

    /// Records one row per household read or changed (households are audited like residents).
    public func record(
        _ action: AuditAction,
        households: [Int64],
        outcome: AuditOutcome = .ok,
        detail: String? = nil,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws {
        try await write(entry(action, outcome: outcome, detail: detail, residents: [], households: households), on: conn, logger: logger)
    }

    /// What one call records: who, doing what, about which residents or households.
    struct Entry: Sendable {
        var userId: Int64?
        var role: String?
        var districtId: Int64?
        var operation: String
        var action: String
        var outcome: String
        var detail: String?
        var residents: [Int64]
        var households: [Int64]
        /// Entries with the same key are written as one statement.
        var key: String { "\(userId ?? 0)|\(role ?? "")|\(districtId ?? 0)|\(operation)|\(action)|\(outcome)|\(households.isEmpty)" }
    }

    func entry(_ action: AuditAction, outcome: AuditOutcome, detail: String?, residents: [Int64], households: [Int64]) -> Entry {
        let s = db.scope
        return Entry(
            userId: s?.userId,
            role: s?.role.rawValue,
            districtId: s?.districtId,
            operation: db.operation,
            action: action.rawValue,
            outcome: outcome.rawValue,
            detail: detail,
            residents: residents,
            households: households
        )
    }

    /// Whether a statement that reads may write its own audit row on its connection: not in a page, which
    /// gathers its rows for the commit, nor on a replica, whose rows go to the primary.
    var writesInStatement: Bool {
        db.auditPrimary == nil && RequestTransaction.joined(db.client)?.isPage != true
    }

    /// Writes `entry` now, or keeps it for the commit of the page's shared transaction (Database.together).
    func write(_ entry: Entry, on conn: PostgresConnection, logger: Logger) async throws {
        if let joined = RequestTransaction.joined(db.client), joined.gather(entry) { return }
        if let primary = db.auditPrimary {
            // A read on a replica (Database.reporting): its row is committed on the primary before the
            // read's result can be returned; a failed write fails the read.
            try await PoolUsage.of(primary).lease(primary) { try await Self.insert(entry, on: $0, logger: logger) }
            return
        }
        try await Self.insert(entry, on: conn, logger: logger)
    }

    /// Writes `entries`, one statement for those alike (same caller, action and outcome): each resident or
    /// household once, the details joined.
    static func write(_ entries: [Entry], on conn: PostgresConnection, logger: Logger) async throws {
        var order: [String] = []
        var merged: [String: Entry] = [:]
        for e in entries {
            guard var m = merged[e.key] else {
                order.append(e.key)
                merged[e.key] = e
                continue
            }
            m.residents += e.residents
            m.households += e.households
            if let d = e.detail, !(m.detail ?? "").split(separator: "; ").contains(Substring(d)) {
                m.detail = m.detail.map { $0 + "; " + d } ?? d
            }
            merged[e.key] = m
        }
        for key in order {
            guard var e = merged[key] else { continue }
            var residents = Set<Int64>()
            var households = Set<Int64>()
            e.residents = e.residents.filter { residents.insert($0).inserted }
            e.households = e.households.filter { households.insert($0).inserted }
            try await insert(e, on: conn, logger: logger)
        }
    }

    /// One statement: a row per resident, else per household, else one about nobody (gridcare_audit).
    static func insert(_ e: Entry, on conn: PostgresConnection, logger: Logger) async throws {
        if e.households.isEmpty {
            let rows = try await conn.execute(Insert(entry: e), logger: logger)
            for try await _ in rows {}
        } else {
            try await conn.query(
                """
                SELECT gridcare_audit(\(e.userId), \(e.role), \(e.districtId), \(e.operation), \(e.action), \(e.outcome),
                                      \(e.detail), '{}'::bigint[], \(e.households)::bigint[])
                """,
                logger: logger
            )
        }
    }

    /// Written with nearly every request, so a named prepared statement.
    struct Insert: PostgresPreparedStatement {
        /// gridcare_audit (0025) is the one writer of an audit row, here and in gridcare_book.
        static let sql = "SELECT gridcare_audit($1::bigint, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::bigint[])"
        typealias Row = ()
        let entry: Entry
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 8)
            b.append(entry.userId)
            b.append(entry.role)
            b.append(entry.districtId)
            b.append(entry.operation)
            b.append(entry.action)
            b.append(entry.outcome)
            b.append(entry.detail)
            b.append(entry.residents)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row { () }
    }

    /// Records an attempt in a transaction of its own (refusals that happen before any data is touched).
    public func record(
        _ action: AuditAction,
        residents: [Int64] = [],
        outcome: AuditOutcome,
        detail: String? = nil,
        logger: Logger
    ) async throws {
        try await db.withConnection(logger: logger) { conn in
            try await record(action, residents: residents, outcome: outcome, detail: detail, on: conn, logger: logger)
        }
    }

    public struct Filter: Sendable {
        public var residentId: Int64?, householdId: Int64?, userId: Int64?
        public init(residentId: Int64? = nil, householdId: Int64? = nil, userId: Int64? = nil) {
            self.residentId = residentId
            self.householdId = householdId
            self.userId = userId
        }
    }

    /// Newest first. An administrator of one district sees that district's rows (and its refusals).
    public func list(_ f: Filter, page: PageRequest, logger: Logger) async throws -> Page<AuditEvent> {
        let district = db.scope?.districtId
        // Newest first, so the cursor counts down: an absent cursor starts above every id.
        let before = page.afterId == 0 ? Int64.max : page.afterId
        let rows = try await db.rows(
            """
            SELECT id, at, user_id, role, district_id, operation, action, resident_id, outcome, detail, household_id FROM audit_event
            WHERE id < \(before)
              AND (\(f.residentId)::bigint IS NULL OR resident_id = \(f.residentId))
              AND (\(f.householdId)::bigint IS NULL OR household_id = \(f.householdId))
              AND (\(f.userId)::bigint IS NULL OR user_id = \(f.userId))
              AND (\(district)::bigint IS NULL OR district_id = \(district))
            ORDER BY id DESC LIMIT \(page.fetch)
            """,
            logger: logger
        ) { c in
            AuditEvent(
                id: try c("id"),
                at: try c("at"),
                userId: try c("user_id"),
                role: try c("role"),
                districtId: try c("district_id"),
                operation: try c("operation"),
                action: AuditAction(rawValue: try c("action")) ?? .call,
                residentId: try c("resident_id"),
                householdId: try c("household_id"),
                outcome: AuditOutcome(rawValue: try c("outcome")) ?? .denied,
                detail: try c("detail")
            )
        }
        return page.page(rows, id: \.id)
    }
}
