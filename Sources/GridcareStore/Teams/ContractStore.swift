import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Contracts (签约): sign, renew, switch team, end. Overlaps are refused by an exclusion constraint.
public struct ContractStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    static let columns = """
        id, district_id, resident_id, team_id, to_char(starts_on, 'YYYY-MM-DD') AS starts_on, to_char(term_ends_on, 'YYYY-MM-DD') AS term_ends_on,
        to_char(ended_on, 'YYYY-MM-DD') AS ended_on, end_reason, previous_id, version
        """
    static func contract(_ c: Columns) throws -> Contract {
        Contract(
            id: try c("id"),
            districtId: try c("district_id"),
            residentId: try c("resident_id"),
            teamId: try c("team_id"),
            startsOn: SimpleDate(iso: try c("starts_on"))!,
            termEndsOn: SimpleDate(iso: try c("term_ends_on"))!,
            endedOn: (try c("ended_on", String?.self)).flatMap(SimpleDate.init(iso:)),
            endReason: (try c("end_reason", String?.self)).flatMap(ContractEndReason.init(rawValue:)),
            previousId: try c("previous_id"),
            version: try c("version")
        )
    }

    var audit: AuditLog { AuditLog(db) }

    /// Signs `residentId` with `teamId`; the team must cover the resident's micro-grid.
    public func sign(residentId: Int64, teamId: Int64, startsOn: SimpleDate, years: Int, logger: Logger) async throws -> Contract {
        let end = try ContractTerms.termEnd(start: startsOn, years: years)
        return try await db.audited(logger: logger) { conn in
            try await insert(residentId: residentId, teamId: teamId, start: startsOn, end: end, previous: nil, on: conn, logger: logger)
        }
    }

    func insert(
        residentId: Int64,
        teamId: Int64,
        start: SimpleDate,
        end: SimpleDate,
        previous: Int64?,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws -> Refusable<Contract> {
        let row = try await conn.first(
            """
            INSERT INTO contract (district_id, resident_id, micro_grid_id, team_id, starts_on, term_ends_on, previous_id)
            SELECT r.district_id, r.id, r.micro_grid_id, c.team_id, \(start)::date, \(end)::date, \(previous)
            FROM resident r
            JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id
            WHERE r.id = \(residentId) AND c.team_id = \(teamId)
            RETURNING \(unescaped: Self.columns)
            """,
            logger: logger,
            Self.contract
        )
        if let row {
            try await audit.record(.create, residents: [residentId], detail: "contract \(row.id)", on: conn, logger: logger)
            return .done(row)
        }
        let visible = try await conn.first("SELECT 1 FROM resident WHERE id = \(residentId)", as: Int.self, logger: logger) != nil
        try await audit.record(.create, residents: [residentId], outcome: visible ? .refused : .denied, detail: "contract", on: conn, logger: logger)
        return .refused(
            ValidationFailure([
                visible
                    ? FieldError("teamId", "the team does not cover the resident's micro-grid")
                    : FieldError("residentId", "no such resident")
            ])
        )
    }

    public func get(_ id: Int64, logger: Logger) async throws -> Contract {
        try await db.audited(logger: logger) { conn in
            guard let row = try await conn.first("SELECT \(unescaped: Self.columns) FROM contract WHERE id = \(id)", logger: logger, Self.contract)
            else {
                try await audit.record(.read, outcome: .denied, detail: "contract \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound("contract"))
            }
            try await audit.record(.read, residents: [row.residentId], detail: "contract \(id)", on: conn, logger: logger)
            return .done(row)
        }
    }

    public func list(residentId: Int64?, teamId: Int64?, activeOn: SimpleDate?, page: PageRequest, logger: Logger) async throws -> Page<Contract> {
        try await db.transaction(logger: logger) { conn in
            let rows = try await conn.rows(
                """
                SELECT \(unescaped: Self.columns) FROM contract
                WHERE id > \(page.afterId)
                  AND (\(residentId)::bigint IS NULL OR resident_id = \(residentId))
                  AND (\(teamId)::bigint IS NULL OR team_id = \(teamId))
                  AND (\(activeOn)::date IS NULL OR period @> \(activeOn)::date)
                ORDER BY id LIMIT \(page.fetch)
                """,
                logger: logger,
                Self.contract
            )
            let result = page.page(rows, id: \.id)
            try await audit.record(
                .search,
                residents: result.items.map(\.residentId),
                detail: result.items.isEmpty ? "contracts: no results" : "contracts",
                on: conn,
                logger: logger
            )
            return result
        }
    }

    /// A team's contracts in force on `activeOn` that end soonest (the ones to renew first), at most `limit`.
    /// Read along the team's index by term end, so a team with thousands of contracts reads about `limit`.
    public func endingSoonest(teamId: Int64, activeOn: SimpleDate, limit: Int, logger: Logger) async throws -> [Contract] {
        try await db.transaction(logger: logger) { conn in
            let rows = try await conn.rows(
                """
                SELECT \(unescaped: Self.columns) FROM contract
                WHERE team_id = \(teamId) AND term_ends_on > \(activeOn)::date AND period @> \(activeOn)::date
                ORDER BY term_ends_on, id LIMIT \(limit)
                """,
                logger: logger,
                Self.contract
            )
            try await audit.record(
                .search,
                residents: rows.map(\.residentId),
                detail: rows.isEmpty ? "contracts: no results" : "contracts",
                on: conn,
                logger: logger
            )
            return rows
        }
    }

    /// Locks the contract for a change that depends on its current state; nil when it is not there (or not visible).
    func locked(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Contract? {
        try await conn.first("SELECT \(unescaped: Self.columns) FROM contract WHERE id = \(id) FOR UPDATE", logger: logger, Self.contract)
    }

    /// Runs a change of contract `id` in one audited transaction: a missing or foreign contract is a denied
    /// attempt, a rule the change breaks a refused one; both rows commit.
    func change(_ id: Int64, logger: Logger, _ body: (Contract, PostgresConnection) async throws -> Refusable<Contract>) async throws -> Contract {
        try await db.audited(logger: logger) { conn in
            guard let current = try await locked(id, on: conn, logger: logger) else {
                try await audit.record(.update, outcome: .denied, detail: "contract \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound("contract"))
            }
            // A refused change undoes its own partial work (a renewal's first half) but keeps the audit row.
            try await conn.query("SAVEPOINT contract_change", logger: logger)
            let outcome: Refusable<Contract>
            do {
                outcome = try await body(current, conn)
            } catch let failure where failure is ValidationFailure || failure is FieldError {
                outcome = .refused(failure)
            }
            guard case .refused(let failure) = outcome else { return outcome }
            try await conn.query("ROLLBACK TO SAVEPOINT contract_change", logger: logger)
            try await audit.record(.update, residents: [current.residentId], outcome: .refused, detail: "contract \(id)", on: conn, logger: logger)
            return .refused(failure)
        }
    }

    /// Renews for `years` more with the same team, continuing the day the term ends.
    public func renew(_ id: Int64, years: Int, logger: Logger) async throws -> Contract {
        try await change(id, logger: logger) { current, conn in
            let (start, end) = try ContractTerms.renewal(of: current, years: years)
            try await conn.query(
                """
                UPDATE contract SET ended_on = term_ends_on, end_reason = 'renewed', version = version + 1, updated_at = now()
                WHERE id = \(id)
                """,
                logger: logger
            )
            return try await insert(
                residentId: current.residentId,
                teamId: current.teamId,
                start: start,
                end: end,
                previous: id,
                on: conn,
                logger: logger
            )
        }
    }

    /// Ends the contract on `day` and signs the resident with `teamId` from that day.
    public func switchTeam(_ id: Int64, teamId: Int64, on day: SimpleDate, years: Int, logger: Logger) async throws -> Contract {
        let termEnd = try ContractTerms.termEnd(start: day, years: years)
        return try await change(id, logger: logger) { current, conn in
            try ContractTerms.checkEnd(of: current, on: day)
            guard current.teamId != teamId else { throw ValidationFailure([FieldError("teamId", "is already the contract's team")]) }
            try await end(id, on: day, reason: .switched, conn: conn, logger: logger)
            return try await insert(
                residentId: current.residentId,
                teamId: teamId,
                start: day,
                end: termEnd,
                previous: id,
                on: conn,
                logger: logger
            )
        }
    }

    /// Ends the contract early (moved away, deceased, terminated at the resident's request).
    public func end(_ id: Int64, on day: SimpleDate, reason: ContractEndReason, logger: Logger) async throws -> Contract {
        guard reason != .renewed, reason != .switched else {
            throw ValidationFailure([FieldError("reason", "use renew or switch for \(reason.rawValue)")])
        }
        return try await change(id, logger: logger) { current, conn in
            try ContractTerms.checkEnd(of: current, on: day)
            try await end(id, on: day, reason: reason, conn: conn, logger: logger)
            try await audit.record(.update, residents: [current.residentId], detail: "contract \(id) ended", on: conn, logger: logger)
            let row = try await conn.first("SELECT \(unescaped: Self.columns) FROM contract WHERE id = \(id)", logger: logger, Self.contract)
            return .done(row!)
        }
    }

    private func end(_ id: Int64, on day: SimpleDate, reason: ContractEndReason, conn: PostgresConnection, logger: Logger) async throws {
        try await conn.query(
            """
            UPDATE contract SET ended_on = \(day)::date, end_reason = \(reason.rawValue), version = version + 1, updated_at = now()
            WHERE id = \(id)
            """,
            logger: logger
        )
    }
}
