import Foundation
import GridcareCore
import Logging
import PostgresNIO

public struct Clinic: Sendable, Equatable {
    public var id: Int64, districtId: Int64, stationId: Int64, stationName: String, teamId: Int64, rule: ClinicRule, version: Int
}

/// A session with its free places, for timetables and booking.
public struct ClinicSession: Sendable, Equatable {
    public var id: Int64, clinicId: Int64, stationId: Int64, stationName: String, teamId: Int64, day: SimpleDate
    public var startMinute: Int, endMinute: Int, status: SessionStatus, reason: String?, places: Int, free: Int
}

/// What generating sessions did.
public struct GenerationSummary: Sendable, Equatable {
    public var created = 0, cancelled = 0, moved = 0, unchanged = 0
    /// Days generated beyond the last year the holiday calendar knows.
    public var uncoveredDays = 0
    /// Each planned session and what this run did to it, by clinic and day; kept only when asked for
    /// (`keepSessions`), since a year for every station is a long list nobody reads.
    public var sessions: [GeneratedSession] = []
}

/// One session a generation planned, as it stands afterwards.
public struct GeneratedSession: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// Made now, scheduled: bookable.
        case created
        /// Made now or turned now from scheduled into moved by the holiday calendar.
        case moved
        /// Made now or turned now from scheduled into cancelled by the holiday calendar.
        case cancelled
        /// There already, left as it was (whatever its status).
        case existing
    }
    public var outcome: Outcome
    public var sessionId: Int64, clinicId: Int64, day: SimpleDate
    /// The stored status.
    public var status: SessionStatus
    /// For a moved session, the day it moved to.
    public var movedTo: SimpleDate?
    public var reason: String?
}

/// Weekly fixed-day clinics and their sessions. The overlap rules are exclusion constraints; session
/// generation writes what GridcareCore.SessionPlanner plans, one row per clinic and day.
public struct ClinicStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public static func minute(_ t: String) -> Int {
        let p = t.split(separator: ":").compactMap { Int($0) }
        return p.count >= 2 ? p[0] * 60 + p[1] : 0
    }
    /// A strict `HH:MM` (00:00–23:59), or nil.
    public static func parseTime(_ s: String) -> Int? {
        let bytes = Array(s.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"), let h = Int(s.prefix(2)), let m = Int(s.suffix(2)),
            bytes[0..<2].allSatisfy({ (48...57).contains($0) }), bytes[3..<5].allSatisfy({ (48...57).contains($0) }),
            (0..<24).contains(h), (0..<60).contains(m)
        else { return nil }
        return h * 60 + m
    }

    public static func time(_ m: Int) -> String { String(format: "%02d:%02d", m / 60, m % 60) }

    static let select = """
        SELECT c.id, c.district_id, c.station_id, s.name AS station_name, c.team_id, c.weekday::int, to_char(c.starts_at, 'HH24:MI') AS starts_at,
               to_char(c.ends_at, 'HH24:MI') AS ends_at, c.slot_minutes, c.capacity_per_slot, to_char(c.valid_from, 'YYYY-MM-DD') AS valid_from,
               to_char(c.valid_until, 'YYYY-MM-DD') AS valid_until, c.version
        FROM clinic c JOIN facility s ON s.id = c.station_id
        """
    static func clinic(_ c: Columns) throws -> Clinic {
        Clinic(
            id: try c("id"),
            districtId: try c("district_id"),
            stationId: try c("station_id"),
            stationName: try c("station_name"),
            teamId: try c("team_id"),
            rule: ClinicRule(
                weekday: try c("weekday"),
                startMinute: minute(try c("starts_at")),
                endMinute: minute(try c("ends_at")),
                slotMinutes: try c("slot_minutes"),
                capacityPerSlot: try c("capacity_per_slot"),
                validFrom: SimpleDate(iso: try c("valid_from"))!,
                validUntil: (try c("valid_until", String?.self)).flatMap(SimpleDate.init(iso:))
            ),
            version: try c("version")
        )
    }

    /// Centre staff schedule their own centre's teams only: the staff member whose centre's teams the caller
    /// schedules, or nil for every team (an administrator, the owner's tools, the service's clock). Both
    /// `create` and `generate` apply it with the same condition on `care_team t`:
    /// `(staff IS NULL OR t.centre_id = (SELECT w.centre_id FROM app_user u JOIN worker w … WHERE u.id = staff))`.
    var schedulingStaff: Int64? { db.scope?.role == .centreStaff ? db.scope?.userId : nil }

    /// A clinic of `teamId` at `stationId`: the station must be one of the team's centre.
    public func create(stationId: Int64, teamId: Int64, rule: ClinicRule, logger: Logger) async throws -> Clinic {
        try rule.validate()
        let staff = schedulingStaff
        let row = try await db.first(
            """
            INSERT INTO clinic (district_id, station_id, team_id, weekday, starts_at, ends_at, slot_minutes, capacity_per_slot, valid_from, valid_until)
            SELECT t.district_id, s.id, t.id, \(rule.weekday), \(Self.time(rule.startMinute))::time, \(Self.time(rule.endMinute))::time,
                   \(rule.slotMinutes), \(rule.capacityPerSlot), \(rule.validFrom)::date, \(rule.validUntil)::date
            FROM care_team t JOIN facility s ON s.id = \(stationId) AND s.kind = 'station' AND s.centre_id = t.centre_id
            WHERE t.id = \(teamId)
              AND (\(staff)::bigint IS NULL OR t.centre_id = (SELECT w.centre_id FROM app_user u JOIN worker w ON w.id = u.worker_id WHERE u.id = \(staff)))
            RETURNING id
            """,
            as: Int64.self,
            logger: logger
        )
        guard let id = row else {
            throw ValidationFailure([FieldError("stationId", "is not a station of the health centre of a team you schedule")])
        }
        return try await get(id, logger: logger)
    }

    public func get(_ id: Int64, logger: Logger) async throws -> Clinic {
        try await db.first("\(unescaped: Self.select) WHERE c.id = \(id)", logger: logger, Self.clinic)
            .orThrow(StoreError.notFound("clinic"))
    }

    public func list(stationId: Int64?, teamId: Int64?, logger: Logger) async throws -> [Clinic] {
        try await db.rows(
            """
            \(unescaped: Self.select)
            WHERE (\(stationId)::bigint IS NULL OR c.station_id = \(stationId)) AND (\(teamId)::bigint IS NULL OR c.team_id = \(teamId))
            ORDER BY c.station_id, c.weekday, c.starts_at
            """,
            logger: logger,
            Self.clinic
        )
    }

    /// Materializes sessions from `from` through `through` for every clinic (or one). Running it twice
    /// changes nothing; a scheduled session that a newly added holiday now falls on is cancelled or moved,
    /// and its bookings appear on the call list. The one generator: the CLI (`gridcare clinics generate`),
    /// the API (`generateClinicSessions`) and the service's clock (ClinicClock) all call it.
    ///
    /// Only clinics of teams the caller schedules (`schedulingStaff`); a `clinicId` the caller does not see
    /// or does not schedule is `StoreError.notFound`. Several generators at once (service copies, the API,
    /// the CLI) serialize per clinic on a transaction-level advisory lock, so each session is made once and
    /// each run's answer is exact; the unique key on (clinic, day) would refuse a second row anyway.
    public func generate(
        from: SimpleDate,
        through: SimpleDate,
        clinicId: Int64? = nil,
        calendar: HolidayCalendar,
        onHoliday: HolidayRule,
        keepSessions: Bool = false,
        logger: Logger
    ) async throws -> GenerationSummary {
        let staff = schedulingStaff
        let clinics = try await db.rows(
            """
            \(unescaped: Self.select)
            JOIN care_team t ON t.id = c.team_id
            WHERE (\(clinicId)::bigint IS NULL OR c.id = \(clinicId))
              AND (\(clinicId)::bigint IS NOT NULL OR (c.valid_from <= \(through)::date AND (c.valid_until IS NULL OR c.valid_until >= \(from)::date)))
              AND (\(staff)::bigint IS NULL OR t.centre_id = (SELECT w.centre_id FROM app_user u JOIN worker w ON w.id = u.worker_id WHERE u.id = \(staff)))
            ORDER BY c.id
            """,
            logger: logger,
            Self.clinic
        )
        if clinicId != nil, clinics.isEmpty { throw StoreError.notFound("clinic") }
        var summary = GenerationSummary()
        var day = from
        while day <= through {
            if !calendar.covers(day) { summary.uncoveredDays += 1 }
            day = day.adding(days: 1)
        }
        for clinic in clinics {
            // Each clinic commits on its own, so a run stopped here (the service shutting down) keeps what it made.
            try Task.checkCancellation()
            // A clinic whose days of validity miss the span plans nothing.
            let plan = SessionPlanner.plan(clinic.rule, from: from, through: through, calendar: calendar, onHoliday: onHoliday)
            guard !plan.isEmpty else { continue }
            let sessions = try await db.transaction(logger: logger) { conn in
                try await write(plan, of: clinic, on: conn, summary: &summary, logger: logger)
            }
            if keepSessions { summary.sessions += sessions }
        }
        return summary
    }

    /// The advisory lock class of session generation (two-key form: this, then the clinic id).
    static let generationLock: Int32 = 0x636C_696E  // "clin"

    /// Writes one clinic's plan set-based (four statements whatever the horizon), so a year of sessions
    /// for thousands of stations is a few thousand round trips, not hundreds of thousands. Returns every
    /// planned session as it now stands.
    private func write(
        _ plan: [PlannedSession],
        of c: Clinic,
        on conn: PostgresConnection,
        summary: inout GenerationSummary,
        logger: Logger
    ) async throws -> [GeneratedSession] {
        // Its own statement, so the statements after it see whatever a generator that held it committed.
        try await conn.query("SELECT pg_advisory_xact_lock(\(Self.generationLock), (\(c.id) % 2147483647)::integer)", logger: logger)
        let start = Self.time(c.rule.startMinute)
        let end = Self.time(c.rule.endMinute)
        let scheduled = plan.filter { $0.status == .scheduled }
        typealias Outcome = (Int64, String, String, String?, String?, Bool)
        func generated(_ r: Outcome) -> GeneratedSession {
            let outcome: GeneratedSession.Outcome =
                !r.5 ? .existing : r.2 == SessionStatus.moved.rawValue ? .moved : r.2 == SessionStatus.cancelled.rawValue ? .cancelled : .created
            return GeneratedSession(
                outcome: outcome,
                sessionId: r.0,
                clinicId: c.id,
                day: SimpleDate(iso: r.1)!,
                status: SessionStatus(rawValue: r.2)!,
                movedTo: r.3.flatMap(SimpleDate.init(iso:)),
                reason: r.4
            )
        }
        // The new rows, then the planned days that held a row already (the statement's snapshot does not
        // show the rows it inserts, so the second half sees only those that were there before).
        let first = try await conn.rows(
            """
            WITH x AS (SELECT d::date AS d, nullif(r, '') AS r FROM unnest(\(scheduled.map(\.day.iso))::text[], \(scheduled.map { $0.reason ?? "" })::text[]) AS x(d, r)),
            made AS (
                INSERT INTO clinic_session (district_id, clinic_id, on_date, starts_at, ends_at, reason)
                SELECT \(c.districtId), \(c.id), x.d, \(start)::time, \(end)::time, x.r FROM x
                ON CONFLICT (clinic_id, on_date) DO NOTHING
                RETURNING id, on_date, status, moved_to, reason)
            SELECT m.id, to_char(m.on_date, 'YYYY-MM-DD'), m.status::text, NULL::text, m.reason, true FROM made m
            UNION ALL
            SELECT s.id, to_char(s.on_date, 'YYYY-MM-DD'), s.status::text,
                   (SELECT to_char(t.on_date, 'YYYY-MM-DD') FROM clinic_session t WHERE t.id = s.moved_to), s.reason, false
            FROM clinic_session s JOIN x ON s.on_date = x.d WHERE s.clinic_id = \(c.id)
            """,
            as: Outcome.self,
            logger: logger
        )
        let created = first.filter(\.5).map(\.0)
        summary.created += created.count
        summary.unchanged += scheduled.count - created.count
        let slotStarts = (0..<c.rule.slots).map { Self.time(c.rule.startMinute + $0 * c.rule.slotMinutes) }
        try await conn.query(
            """
            INSERT INTO session_slot (session_id, slot, starts_at, capacity)
            SELECT s.id, x.n, x.t::time, \(c.rule.capacityPerSlot)
            FROM unnest(\(created)::bigint[]) AS s(id) CROSS JOIN unnest(\(slotStarts)::text[]) WITH ORDINALITY AS x(t, n)
            """,
            logger: logger
        )
        let changes = plan.filter { $0.status != .scheduled }
        guard !changes.isEmpty else { return first.map(generated).sorted { $0.day < $1.day } }
        // A holiday turns a day's session (new, or scheduled earlier) into a cancelled or moved one; the
        // days whose row was already cancelled, moved or held stay as they were.
        let changed = try await conn.rows(
            """
            WITH x AS (SELECT d::date AS d, s::session_status AS s, nullif(m, '')::date AS m, nullif(r, '') AS r
                       FROM unnest(\(changes.map(\.day.iso))::text[], \(changes.map(\.status.rawValue))::text[],
                                   \(changes.map { $0.movedTo?.iso ?? "" })::text[], \(changes.map { $0.reason ?? "" })::text[]) AS x(d, s, m, r)),
            done AS (
                INSERT INTO clinic_session (district_id, clinic_id, on_date, starts_at, ends_at, status, moved_to, reason)
                SELECT \(c.districtId), \(c.id), x.d, \(start)::time, \(end)::time, x.s,
                       (SELECT t.id FROM clinic_session t WHERE t.clinic_id = \(c.id) AND t.on_date = x.m), x.r
                FROM x
                ON CONFLICT (clinic_id, on_date) DO UPDATE SET status = excluded.status, moved_to = excluded.moved_to, reason = excluded.reason
                    WHERE clinic_session.status = 'scheduled'
                RETURNING id, on_date, status, moved_to, reason)
            SELECT d.id, to_char(d.on_date, 'YYYY-MM-DD'), d.status::text,
                   (SELECT to_char(t.on_date, 'YYYY-MM-DD') FROM clinic_session t WHERE t.id = d.moved_to), d.reason, true FROM done d
            UNION ALL
            SELECT s.id, to_char(s.on_date, 'YYYY-MM-DD'), s.status::text,
                   (SELECT to_char(t.on_date, 'YYYY-MM-DD') FROM clinic_session t WHERE t.id = s.moved_to), s.reason, false
            FROM clinic_session s JOIN x ON s.on_date = x.d WHERE s.clinic_id = \(c.id) AND s.status <> 'scheduled'
            """,
            as: Outcome.self,
            logger: logger
        )
        summary.moved += changed.filter { $0.5 && $0.2 == SessionStatus.moved.rawValue }.count
        summary.cancelled += changed.filter { $0.5 && $0.2 == SessionStatus.cancelled.rawValue }.count
        summary.unchanged += changes.count - changed.filter(\.5).count
        return (first + changed).map(generated).sorted { $0.day < $1.day }
    }

    /// One session with its free places.
    public func session(_ id: Int64, logger: Logger) async throws -> ClinicSession {
        try await sessions(
            from: SimpleDate(year: 1900, month: 1, day: 1)!,
            through: SimpleDate(year: 9999, month: 12, day: 31)!,
            stationId: nil,
            teamId: nil,
            sessionId: id,
            logger: logger
        ).first.orThrow(StoreError.notFound("session"))
    }

    /// A session's slots: number, start, places, booked.
    public func slots(_ sessionId: Int64, logger: Logger) async throws -> [(slot: Int, start: String, capacity: Int, booked: Int)] {
        try await db.rows(
            """
            SELECT slot, to_char(starts_at, 'HH24:MI'), capacity, booked FROM session_slot WHERE session_id = \(sessionId) ORDER BY slot
            """,
            as: (Int, String, Int, Int).self,
            logger: logger
        ).map { (slot: $0.0, start: $0.1, capacity: $0.2, booked: $0.3) }
    }

    /// Sessions between two days with their free places, in timetable order.
    public func sessions(
        from: SimpleDate,
        through: SimpleDate,
        stationId: Int64?,
        teamId: Int64?,
        sessionId: Int64? = nil,
        logger: Logger
    ) async throws -> [ClinicSession] {
        try await db.rows(
            """
            SELECT cs.id, cs.clinic_id, c.station_id, s.name AS station_name, c.team_id, to_char(cs.on_date, 'YYYY-MM-DD') AS day,
                   to_char(cs.starts_at, 'HH24:MI') AS starts_at, to_char(cs.ends_at, 'HH24:MI') AS ends_at, cs.status::text, cs.reason,
                   coalesce((SELECT sum(capacity) FROM session_slot WHERE session_id = cs.id), 0)::int AS places,
                   coalesce((SELECT sum(capacity - booked) FROM session_slot WHERE session_id = cs.id), 0)::int AS free
            FROM clinic_session cs JOIN clinic c ON c.id = cs.clinic_id JOIN facility s ON s.id = c.station_id
            WHERE cs.on_date BETWEEN \(from)::date AND \(through)::date
              AND (\(stationId)::bigint IS NULL OR c.station_id = \(stationId)) AND (\(teamId)::bigint IS NULL OR c.team_id = \(teamId))
              AND (\(sessionId)::bigint IS NULL OR cs.id = \(sessionId))
            ORDER BY cs.on_date, cs.starts_at, s.name
            """,
            logger: logger
        ) { c in
            ClinicSession(
                id: try c("id"),
                clinicId: try c("clinic_id"),
                stationId: try c("station_id"),
                stationName: try c("station_name"),
                teamId: try c("team_id"),
                day: SimpleDate(iso: try c("day"))!,
                startMinute: Self.minute(try c("starts_at")),
                endMinute: Self.minute(try c("ends_at")),
                status: SessionStatus(rawValue: try c("status"))!,
                reason: try c("reason"),
                places: try c("places"),
                free: try c("free")
            )
        }
    }
}
