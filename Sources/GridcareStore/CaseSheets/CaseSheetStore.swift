import Foundation
import GridcareCore
import Logging
import PostgresNIO

public struct ServiceEntry: Sendable, Equatable {
    public var id: Int64, residentId: Int64, kind: ServiceKind, visit: VisitKind?
    public var performedBy: Int64, performedByName: String, performedAt: Date, notes: String?
}

public struct VitalReading: Sendable, Equatable {
    public var id: Int64, residentId: Int64, serviceId: Int64?, measuredAt: Date, measuredBy: Int64
    public var vitals: Vitals
}

public struct FollowUp: Sendable, Equatable {
    public var id: Int64, residentId: Int64, reason: String, rule: String, readingId: Int64?, dueBy: SimpleDate
}

/// What recording a reading did besides storing it.
public struct ReadingOutcome: Sendable {
    public var reading: VitalReading
    public var alert: Alert?
    public var followUp: FollowUp?
}

/// A resident's whole case sheet (健康服务信息个案表).
public struct CaseSheet: Sendable {
    public var resident: Resident
    public var flags: [RiskFlag]
    public var alerts: [Alert]
    public var followUps: [FollowUp]
    public var services: [ServiceEntry]
    public var readings: [VitalReading]
}

/// Services and vitals of a resident's case sheet. A reading that the rules call urgent opens an alert
/// and a follow-up, one they call uncontrolled a follow-up, in the same transaction as the reading.
public struct CaseSheetStore: Sendable {
    let db: Database
    let rules: VisitRules
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database, rules: VisitRules = VisitRules()) {
        self.db = db
        self.rules = rules
    }

    /// How many services and readings the case sheet shows, newest first.
    public static let sheetDepth = 200

    var user: (id: Int64, role: Role?) {
        get throws {
            guard let s = db.scope else { throw StoreError.notAllowed("case sheets are written by signed-in users") }
            return (s.userId, s.role)
        }
    }

    public func addService(
        residentId: Int64,
        kind: ServiceKind,
        visit: VisitKind?,
        performedAt: Date,
        notes: String?,
        logger: Logger
    ) async throws -> ServiceEntry {
        var c = FieldChecker()
        c.text(notes, "notes", max: 4000, required: false)
        if let visit { c.require(kind.canSatisfy(visit), "visit", "a \(kind.rawValue) does not count as a \(visit.rawValue)") }
        c.require(performedAt <= Date().addingTimeInterval(300), "performedAt", "must not be in the future")
        try c.finish()
        let (userId, role) = try user
        if !AccessRules.mayRecord(visit, as: role) {
            throw StoreError.notAllowed("a grid worker records welfare visits; clinical services are the doctor team's")
        }
        return try await db.audited(logger: logger) { conn in
            guard try await visible(residentId, on: conn, logger: logger) else {
                try await audit.record(.create, residents: [residentId], outcome: .denied, detail: "service", on: conn, logger: logger)
                return .refused(ValidationFailure([FieldError("residentId", "no such resident")]))
            }
            let id = try await Self.insertService(
                residentId: residentId,
                kind: kind,
                visit: visit,
                by: userId,
                at: performedAt,
                notes: notes,
                on: conn,
                logger: logger
            )
            if visit == .doctorFollowUp {
                try await FollowUps.satisfy(residentId: residentId, service: id, db: db, on: conn, logger: logger)
            }
            try await audit.record(.create, residents: [residentId], detail: "service \(id)", on: conn, logger: logger)
            return .done(try await services(residentId, id: id, on: conn, logger: logger)[0])
        }
    }

    public func addReading(residentId: Int64, vitals: Vitals, measuredAt: Date, serviceId: Int64?, logger: Logger) async throws -> ReadingOutcome {
        try vitals.validate()
        guard measuredAt <= Date().addingTimeInterval(300) else { throw ValidationFailure([FieldError("measuredAt", "must not be in the future")]) }
        let (userId, _) = try user
        let rules = self.rules
        return try await db.audited(logger: logger) { conn in
            guard
                let (team, _) = try await conn.first(
                    """
                    SELECT c.team_id, r.micro_grid_id FROM resident r LEFT JOIN care_team_catchment c ON c.micro_grid_id = r.micro_grid_id
                    WHERE r.id = \(residentId)
                    """,
                    as: (Int64?, Int64).self,
                    logger: logger
                )
            else {
                try await audit.record(.create, residents: [residentId], outcome: .denied, detail: "reading", on: conn, logger: logger)
                return .refused(ValidationFailure([FieldError("residentId", "no such resident")]))
            }
            if let serviceId,
                try await conn.first(
                    "SELECT 1 FROM service_entry WHERE id = \(serviceId) AND resident_id = \(residentId)",
                    as: Int.self,
                    logger: logger
                ) == nil
            {
                return .refused(ValidationFailure([FieldError("serviceId", "is not a service of this resident")]))
            }
            let v = vitals
            let id = try await conn.first(
                """
                INSERT INTO vital_reading (district_id, resident_id, micro_grid_id, service_id, measured_at, measured_by, systolic, diastolic,
                    glucose_fasting, glucose_random, heart_rate, temperature, spo2, weight)
                SELECT r.district_id, r.id, r.micro_grid_id, \(serviceId), \(measuredAt), \(userId), \(v.systolic), \(v.diastolic),
                       \(v.glucoseFasting)::numeric, \(v.glucoseRandom)::numeric, \(v.heartRate), \(v.temperature)::numeric, \(v.spo2), \(v.weight)::numeric
                FROM resident r WHERE r.id = \(residentId)
                RETURNING id
                """,
                as: Int64.self,
                logger: logger
            )!
            var alert: Alert?
            var followUp: FollowUp?
            let day = SimpleDate.todayInChina(now: measuredAt)
            let due = day.adding(days: rules.followUpWithinDays)
            switch rules.classify(v) {
            case .normal:
                break
            case .uncontrolled(let reasons):
                followUp = try await insertFollowUp(
                    residentId,
                    reason: reasons.joined(separator: "；"),
                    rule: "uncontrolled_reading",
                    reading: id,
                    due: due,
                    on: conn,
                    logger: logger
                )
            case .urgent(let reasons):
                let reason = reasons.joined(separator: "；")
                let alertId = try await conn.first(
                    """
                    INSERT INTO alert (district_id, resident_id, micro_grid_id, reading_id, team_id, reason)
                    SELECT r.district_id, r.id, r.micro_grid_id, \(id), \(team), \(reason) FROM resident r WHERE r.id = \(residentId)
                    RETURNING id
                    """,
                    as: Int64.self,
                    logger: logger
                )!
                alert = try await AlertStore(db).fetch(alertId, on: conn, logger: logger)
                followUp = try await insertFollowUp(
                    residentId,
                    reason: reason,
                    rule: "urgent_reading",
                    reading: id,
                    due: due,
                    on: conn,
                    logger: logger
                )
            }
            try await audit.record(.create, residents: [residentId], detail: "reading \(id)", on: conn, logger: logger)
            let reading = try await readings(residentId, id: id, on: conn, logger: logger)[0]
            return .done(ReadingOutcome(reading: reading, alert: alert, followUp: followUp))
        }
    }

    public func caseSheet(_ residentId: Int64, logger: Logger) async throws -> CaseSheet {
        try await db.audited(logger: logger) { conn in
            guard let resident = try await ResidentStore(db).fetch(residentId, on: conn, logger: logger) else {
                try await audit.record(.read, residents: [residentId], outcome: .denied, detail: "case sheet", on: conn, logger: logger)
                return .refused(StoreError.notFound("resident"))
            }
            let flags = try await conn.rows(
                """
                \(unescaped: FlagStore.select) WHERE f.resident_id = \(residentId)
                ORDER BY f.status IN ('raised', 'confirmed') DESC, f.id DESC
                """,
                logger: logger,
                FlagStore.flag
            )
            let alerts = try await AlertStore(db).forResident(residentId, on: conn, logger: logger)
            let followUps = try await conn.rows(
                """
                SELECT id, resident_id, reason, rule, reading_id, to_char(due_by, 'YYYY-MM-DD') AS due_by FROM follow_up
                WHERE resident_id = \(residentId) AND done_by_service IS NULL ORDER BY due_by
                """,
                logger: logger,
                Self.followUp
            )
            let sheet = CaseSheet(
                resident: resident,
                flags: flags,
                alerts: alerts,
                followUps: followUps,
                services: try await services(residentId, id: nil, on: conn, logger: logger),
                readings: try await readings(residentId, id: nil, on: conn, logger: logger)
            )
            try await audit.record(.read, residents: [residentId], detail: "case sheet", on: conn, logger: logger)
            return .done(sheet)
        }
    }

    /// Writes one service entry of a resident the caller sees (checked by the caller).
    static func insertService(
        residentId: Int64,
        kind: ServiceKind,
        visit: VisitKind?,
        by userId: Int64,
        at performedAt: Date,
        notes: String?,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws -> Int64 {
        try await conn.first(
            """
            INSERT INTO service_entry (district_id, resident_id, micro_grid_id, kind, visit, performed_by, performed_at, notes)
            SELECT r.district_id, r.id, r.micro_grid_id, \(kind.rawValue)::service_kind, \(visit?.rawValue)::visit_kind, \(userId), \(performedAt), \(notes?.trimmed)
            FROM resident r WHERE r.id = \(residentId)
            RETURNING id
            """,
            as: Int64.self,
            logger: logger
        ).orThrow(StoreError.notFound("resident"))
    }

    func visible(_ residentId: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Bool {
        try await conn.first("SELECT 1 FROM resident WHERE id = \(residentId)", as: Int.self, logger: logger) != nil
    }

    func insertFollowUp(
        _ residentId: Int64,
        reason: String,
        rule: String,
        reading: Int64,
        due: SimpleDate,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws -> FollowUp {
        let row = try await conn.first(
            """
            INSERT INTO follow_up (district_id, resident_id, micro_grid_id, reason, rule, reading_id, due_by)
            SELECT r.district_id, r.id, r.micro_grid_id, \(reason), \(rule), \(reading), \(due)::date FROM resident r WHERE r.id = \(residentId)
            RETURNING id, resident_id, reason, rule, reading_id, to_char(due_by, 'YYYY-MM-DD') AS due_by
            """,
            logger: logger,
            Self.followUp
        )
        return row!
    }

    static func followUp(_ c: Columns) throws -> FollowUp {
        FollowUp(
            id: try c("id"),
            residentId: try c("resident_id"),
            reason: try c("reason"),
            rule: try c("rule"),
            readingId: try c("reading_id"),
            dueBy: SimpleDate(iso: try c("due_by"))!
        )
    }

    func services(_ residentId: Int64, id: Int64?, on conn: PostgresConnection, logger: Logger) async throws -> [ServiceEntry] {
        try await conn.rows(
            """
            SELECT s.id, s.resident_id, s.kind::text, s.visit::text, s.performed_by, u.username AS performed_by_name, s.performed_at, s.notes
            FROM service_entry s JOIN app_user u ON u.id = s.performed_by
            WHERE s.resident_id = \(residentId) AND (\(id)::bigint IS NULL OR s.id = \(id))
            ORDER BY s.performed_at DESC, s.id DESC LIMIT \(Self.sheetDepth)
            """,
            logger: logger
        ) { c in
            ServiceEntry(
                id: try c("id"),
                residentId: try c("resident_id"),
                kind: ServiceKind(rawValue: try c("kind"))!,
                visit: (try c("visit", String?.self)).flatMap(VisitKind.init(rawValue:)),
                performedBy: try c("performed_by"),
                performedByName: try c("performed_by_name"),
                performedAt: try c("performed_at"),
                notes: try c("notes")
            )
        }
    }

    func readings(_ residentId: Int64, id: Int64?, on conn: PostgresConnection, logger: Logger) async throws -> [VitalReading] {
        try await conn.rows(
            """
            SELECT id, resident_id, service_id, measured_at, measured_by, systolic, diastolic, glucose_fasting::float8 AS glucose_fasting,
                   glucose_random::float8 AS glucose_random, heart_rate, temperature::float8 AS temperature, spo2, weight::float8 AS weight
            FROM vital_reading WHERE resident_id = \(residentId) AND (\(id)::bigint IS NULL OR id = \(id))
            ORDER BY measured_at DESC, id DESC LIMIT \(Self.sheetDepth)
            """,
            logger: logger
        ) { c in
            VitalReading(
                id: try c("id"),
                residentId: try c("resident_id"),
                serviceId: try c("service_id"),
                measuredAt: try c("measured_at"),
                measuredBy: try c("measured_by"),
                vitals: Vitals(
                    systolic: try c("systolic"),
                    diastolic: try c("diastolic"),
                    glucoseFasting: try c("glucose_fasting"),
                    glucoseRandom: try c("glucose_random"),
                    heartRate: try c("heart_rate"),
                    temperature: try c("temperature"),
                    spo2: try c("spo2"),
                    weight: try c("weight")
                )
            )
        }
    }
}
