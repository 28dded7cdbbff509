import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Two-way referral slips: written by a doctor of the resident's team, worked by the hospital they are
/// addressed to, brought home with a follow-up plan and closed by the team. Every step is a history
/// event and an audit row; ReferralStatus decides which steps are legal.
public struct ReferralStore: Sendable {
    let db: Database
    let rules: ReferralRules
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database, rules: ReferralRules = ReferralRules()) {
        self.db = db
        self.rules = rules
    }

    /// How many readings from the last 180 days the slip carries.
    public static let vitalsOnSlip = 3

    public struct Draft: Sendable {
        public var residentId: Int64, hospitalId: Int64, department: String?, urgency: ReferralUrgency
        public var reason: String, diagnosis: String
        /// Send at once (the usual way for the green channel) instead of keeping a draft.
        public var send: Bool
        public init(
            residentId: Int64,
            hospitalId: Int64,
            department: String?,
            urgency: ReferralUrgency,
            reason: String,
            diagnosis: String,
            send: Bool
        ) {
            self.residentId = residentId
            self.hospitalId = hospitalId
            self.department = department
            self.urgency = urgency
            self.reason = reason
            self.diagnosis = diagnosis
            self.send = send
        }
    }

    /// Writes a slip for a resident the caller sees, numbered per centre and year.
    public func create(_ d: Draft, logger: Logger) async throws -> Referral {
        var c = FieldChecker()
        c.text(d.reason, "reason", max: 2000)
        c.text(d.diagnosis, "diagnosis", max: 500)
        c.text(d.department, "department", max: 100, required: false)
        try c.finish()
        let (user, role) = try db.caller("referral slips are written by signed-in users")
        return try await db.audited(logger: logger) { conn in
            guard
                let p = try await conn.first(
                    """
                    SELECT r.name, r.sex::text, to_char(r.birth_date, 'YYYY-MM-DD') AS birth_date, r.phone, h.address, ct.id AS team_id, ct.centre_id,
                           r.micro_grid_id,
                           EXISTS (SELECT 1 FROM facility f WHERE f.id = \(d.hospitalId) AND f.kind = 'hospital' AND f.district_id = r.district_id)
                             AS hospital_ok
                    FROM resident r JOIN household h ON h.id = r.household_id
                    LEFT JOIN care_team_catchment k ON k.micro_grid_id = r.micro_grid_id LEFT JOIN care_team ct ON ct.id = k.team_id
                    WHERE r.id = \(d.residentId)
                    """,
                    logger: logger,
                    { c in
                        (
                            name: try c("name", String.self), sex: try c("sex", String.self), birthDate: try c("birth_date", String.self),
                            phone: try c("phone", String?.self), address: try c("address", String.self), team: try c("team_id", Int64?.self),
                            centre: try c("centre_id", Int64?.self), microGrid: try c("micro_grid_id", Int64.self),
                            hospitalOk: try c("hospital_ok", Bool.self)
                        )
                    }
                )
            else {
                try await audit.record(.create, residents: [d.residentId], outcome: .denied, detail: "referral", on: conn, logger: logger)
                return .refused(ValidationFailure([FieldError("residentId", "no such resident")]))
            }
            func refuse(_ error: any Error) async throws -> Refusable<Referral> {
                try await audit.refused(error, .create, residents: [d.residentId], detail: "referral", on: conn, logger: logger)
            }
            guard let team = p.team, let centre = p.centre else {
                return try await refuse(ValidationFailure([FieldError("residentId", "no care team covers the resident's micro-grid")]))
            }
            if role != .admin, try await !conn.isTeamDoctor(user, microGridId: p.microGrid, logger: logger) {
                return try await refuse(StoreError.notAllowed("only a doctor of the resident's team writes a referral slip"))
            }
            if !p.hospitalOk {
                return try await refuse(ValidationFailure([FieldError("hospitalId", "is not a designated hospital of the resident's district")]))
            }
            let id = try await conn.first(
                """
                INSERT INTO referral (number, district_id, resident_id, micro_grid_id, centre_id, team_id, hospital_id, department, urgency,
                    reason, diagnosis, patient_name, patient_sex, patient_birth_date, patient_id_sealed, patient_phone, patient_address,
                    vitals, created_by)
                SELECT 'pending-' || gen_random_uuid(), r.district_id, r.id, r.micro_grid_id, \(centre),
                       \(team), \(d.hospitalId), \(d.department?.trimmed), \(d.urgency.rawValue)::referral_urgency, \(d.reason.trimmed),
                       \(d.diagnosis.trimmed), \(p.name), \(p.sex), \(p.birthDate)::date, r.id_number_sealed, \(p.phone), \(p.address),
                       (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                                   'measuredAt', to_char(v.measured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                                   'systolic', v.systolic, 'diastolic', v.diastolic, 'glucoseFasting', v.glucose_fasting,
                                   'glucoseRandom', v.glucose_random, 'heartRate', v.heart_rate, 'temperature', v.temperature,
                                   'spo2', v.spo2, 'weight', v.weight)) ORDER BY v.measured_at DESC), '[]')
                        FROM (SELECT * FROM vital_reading WHERE resident_id = r.id AND measured_at > now() - interval '180 days'
                              ORDER BY measured_at DESC LIMIT \(Self.vitalsOnSlip)) v),
                       \(user)
                FROM resident r WHERE r.id = \(d.residentId)
                RETURNING id
                """,
                as: Int64.self,
                logger: logger
            )!
            try await event(id, user: user, action: "create", from: nil, to: .draft, note: nil, on: conn, logger: logger)
            if d.send {
                try await move(id, from: .draft, by: .send, user: user, note: nil, on: conn, logger: logger)
            }
            try await audit.record(.create, residents: [d.residentId], detail: "referral \(id)", on: conn, logger: logger)
            // The number last: the counter row stays locked from here to the commit only, so concurrent
            // writers queue for a moment, not for each other's whole transaction.
            let year = SimpleDate.todayInChina().year
            let sequence = try await conn.first(
                """
                INSERT INTO referral_counter (centre_id, year, last) VALUES (\(centre), \(year), 1)
                ON CONFLICT (centre_id, year) DO UPDATE SET last = referral_counter.last + 1
                RETURNING last
                """,
                as: Int.self,
                logger: logger
            )!
            try await conn.query(
                "UPDATE referral SET number = \(ReferralRules.number(centre: centre, year: year, sequence: sequence)) WHERE id = \(id)",
                logger: logger
            )
            return .done(try await fetch(id, on: conn, logger: logger)!)
        }
    }

    /// What a party adds when it moves a slip.
    public struct Step: Sendable {
        public var action: ReferralStatus.Action
        /// A remark for the history; for `decline`, the reason (required).
        public var note: String?
        /// For `discharge` (required there, refused elsewhere).
        public var plan: (instructions: String, medication: String?, followUpBy: SimpleDate?)?
        /// For `follow_up`: how the team saw the patient (home visit by default).
        public var serviceKind: ServiceKind?
        public init(
            action: ReferralStatus.Action,
            note: String? = nil,
            plan: (instructions: String, medication: String?, followUpBy: SimpleDate?)? = nil,
            serviceKind: ServiceKind? = nil
        ) {
            self.action = action
            self.note = note
            self.plan = plan
            self.serviceKind = serviceKind
        }

        func check() throws(ValidationFailure) {
            var c = FieldChecker()
            c.text(note, "note", max: 2000, required: action == .decline)
            if action == .discharge {
                c.require(plan != nil, "plan", "is required to discharge a patient back down")
                c.text(plan?.instructions, "plan.instructions", max: 4000, required: plan != nil)
                c.text(plan?.medication, "plan.medication", max: 4000, required: false)
            } else {
                c.require(plan == nil, "plan", "only comes with discharge")
            }
            if let serviceKind {
                c.require(action == .followUp, "serviceKind", "only comes with follow_up")
                c.require(serviceKind.canSatisfy(.doctorFollowUp), "serviceKind", "a \(serviceKind.rawValue) does not count as a follow-up")
            }
            try c.finish()
        }
    }

    /// Moves a slip one step, as its state machine and the caller's party allow.
    public func act(_ id: Int64, _ step: Step, ifVersion: Int?, logger: Logger) async throws -> Referral {
        try step.check()
        let (user, role) = try db.caller("referral slips are written by signed-in users")
        // The follow-up date a discharge plan gets (or why its date breaks the rule), refused after the access checks.
        var followUpBy: SimpleDate?
        var badFollowUp: FieldError?
        if let plan = step.plan {
            do throws(FieldError) { followUpBy = try rules.followUpBy(dischargedOn: SimpleDate.todayInChina(), planned: plan.followUpBy) } catch {
                badFollowUp = error
            }
        }
        let (by, refusal) = (followUpBy, badFollowUp)
        return try await db.move(
            "referral",
            id,
            step.action,
            ifVersion: ifVersion,
            missing: "referral slip",
            logger: logger,
            lock: { conn in
                try await lock(id, on: conn, logger: logger)
            },
            allow: { current, _, conn in
                guard AccessRules.mayActOnReferral(step.action, as: role) else {
                    let party = step.action.party == .hospital ? "the hospital the slip is addressed to" : "the resident's doctor team"
                    return StoreError.notAllowed("only \(party) may \(step.action.rawValue) a referral slip")
                }
                // The slip is locked; its team never changes, so the check holds to the commit.
                var doctor = false
                if role == .centreStaff, let team = current.teamId { doctor = try await conn.isDoctor(user, ofTeam: team, logger: logger) }
                guard AccessRules.mayActOnReferral(step.action, as: role, isDoctorOfSlipTeam: doctor) else {
                    return StoreError.notAllowed("only a doctor of the slip's team may \(step.action.rawValue) it")
                }
                return step.action == .discharge ? refusal.map { ValidationFailure([$0]) } : nil
            },
            write: { current, _, conn in
                switch step.action {
                case .discharge:
                    let plan = step.plan!
                    try await conn.query(
                        """
                        UPDATE referral SET plan_instructions = \(plan.instructions.trimmed), plan_medication = \(plan.medication?.trimmed),
                               follow_up_by = \(by!)::date
                        WHERE id = \(id)
                        """,
                        logger: logger
                    )
                    try await move(id, from: current.status, by: .discharge, user: user, note: step.note, on: conn, logger: logger)
                    _ = try await conn.query("SELECT gridcare_referral_discharged(\(id))", logger: logger)
                case .followUp:
                    // The follow-up is a service on the case sheet; counting it moves this slip (and any other
                    // waiting for the resident) on.
                    let service = try await CaseSheetStore.insertService(
                        residentId: current.residentId,
                        kind: step.serviceKind ?? .homeVisit,
                        visit: .doctorFollowUp,
                        by: user,
                        at: Date(),
                        notes: step.note ?? "follow-up after discharge (\(current.number))",
                        on: conn,
                        logger: logger
                    )
                    try await FollowUps.satisfy(residentId: current.residentId, service: service, db: db, on: conn, logger: logger)
                    try await followedUp(id, service: service, on: conn, logger: logger)
                case .decline:
                    try await conn.query("UPDATE referral SET decline_reason = \(step.note?.trimmed) WHERE id = \(id)", logger: logger)
                    try await move(id, from: current.status, by: .decline, user: user, note: step.note, on: conn, logger: logger)
                default:
                    try await move(id, from: current.status, by: step.action, user: user, note: step.note, on: conn, logger: logger)
                }
                return try await fetch(id, on: conn, logger: logger)!
            }
        )
    }

    /// Moves a slip waiting for its follow-up on, once a doctor's follow-up of the resident is recorded.
    func followedUp(_ id: Int64, service: Int64, on conn: PostgresConnection, logger: Logger) async throws {
        guard let user = db.scope?.userId,
            let status = try await conn.first("SELECT status::text FROM referral WHERE id = \(id) FOR UPDATE", as: String.self, logger: logger)
                .flatMap(ReferralStatus.init(rawValue:)),
            status == .dischargedDown
        else { return }
        try await conn.query("UPDATE referral SET follow_up_service_id = \(service) WHERE id = \(id)", logger: logger)
        try await move(id, from: status, by: .followUp, user: user, note: "service \(service)", on: conn, logger: logger)
    }

    /// The one write of a transition: the next state from the machine, its timestamp, version and event.
    func move(
        _ id: Int64,
        from: ReferralStatus,
        by action: ReferralStatus.Action,
        user: Int64,
        note: String?,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws {
        let next = try from.after(action)
        try await conn.query(
            """
            UPDATE referral SET status = \(next.rawValue)::referral_status, version = version + 1, \(unescaped: Self.stamp(action)) = now()
            WHERE id = \(id) AND status = \(from.rawValue)::referral_status
            """,
            logger: logger
        )
        try await event(id, user: user, action: action.rawValue, from: from, to: next, note: note, on: conn, logger: logger)
    }

    /// The column that records when `action` happened.
    static func stamp(_ action: ReferralStatus.Action) -> String {
        switch action {
        case .send: "sent_at"
        case .receive: "received_at"
        case .accept, .decline: "decided_at"
        case .admit: "admitted_at"
        case .discharge: "discharged_at"
        case .followUp: "followed_up_at"
        case .close: "closed_at"
        case .cancel: "cancelled_at"
        }
    }

    /// One slip with its history. With `reveal`, the parties AccessRules.mayRevealOnSlip names get the patient's
    /// whole number and birth date (audited as a reveal); a view that shows neither (FHIR) passes false.
    public func get(_ id: Int64, reveal: Bool = true, logger: Logger) async throws -> (Referral, [ReferralEvent]) {
        try await db.audited(logger: logger) { conn in
            guard let row = try await fetchRow(id, on: conn, logger: logger) else {
                try await audit.record(.read, outcome: .denied, detail: "referral \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound("referral slip"))
            }
            let slip = try Referral(row: row, vault: db.vault)
            let history = try await conn.rows(
                """
                SELECT e.at, e.user_id, u.username, e.action, e.from_status::text, e.to_status::text, e.note
                FROM referral_event e JOIN app_user u ON u.id = e.user_id WHERE e.referral_id = \(id) ORDER BY e.id
                """,
                logger: logger
            ) { c in
                ReferralEvent(
                    at: try c("at"),
                    userId: try c("user_id"),
                    username: try c("username"),
                    action: try c("action"),
                    from: (try c("from_status", String?.self)).flatMap(ReferralStatus.init(rawValue:)),
                    to: ReferralStatus(rawValue: try c("to_status"))!,
                    note: try c("note")
                )
            }
            try await audit.record(.read, residents: [slip.residentId], detail: "referral \(id)", on: conn, logger: logger)
            guard reveal, let s = db.scope, try await conn.mayRevealOnSlip(s, status: slip.status, microGridId: slip.microGridId, logger: logger)
            else { return .done((slip, history)) }
            try await audit.record(
                .reveal,
                residents: [slip.residentId],
                detail: "referral \(id): identity number and birth date",
                on: conn,
                logger: logger
            )
            return .done((try Referral(row: row, vault: db.vault, full: true), history))
        }
    }

    public struct Filter: Sendable {
        public var status: ReferralStatus?, urgency: ReferralUrgency?, hospitalId: Int64?, residentId: Int64?, openOnly: Bool
        /// The slip's number or its beginning (C12-2026-0001…), case-insensitive.
        public var number: String?
        public init(
            status: ReferralStatus? = nil,
            urgency: ReferralUrgency? = nil,
            hospitalId: Int64? = nil,
            residentId: Int64? = nil,
            openOnly: Bool = false,
            number: String? = nil
        ) {
            self.status = status
            self.urgency = urgency
            self.hospitalId = hospitalId
            self.residentId = residentId
            self.openOnly = openOnly
            self.number = number
        }
    }

    /// The slips the caller sees: a team's, or a hospital's inbox (row-level security decides which).
    public func list(_ f: Filter, page: PageRequest, logger: Logger) async throws -> Page<Referral> {
        // A LIKE pattern of the typed beginning: its own wildcards are taken literally.
        let numberPrefix = f.number.map { n in
            n.trimmed.uppercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
        }
        return try await db.transaction(logger: logger) { conn in
            let rows = try await conn.query(
                """
                \(unescaped: Referral.select)
                WHERE s.id > \(page.afterId)
                  AND (\(f.status?.rawValue)::referral_status IS NULL OR s.status = \(f.status?.rawValue)::referral_status)
                  AND (\(f.urgency?.rawValue)::referral_urgency IS NULL OR s.urgency = \(f.urgency?.rawValue)::referral_urgency)
                  AND (\(f.hospitalId)::bigint IS NULL OR s.hospital_id = \(f.hospitalId))
                  AND (\(f.residentId)::bigint IS NULL OR s.resident_id = \(f.residentId))
                  AND (NOT \(f.openOnly) OR s.status NOT IN ('closed', 'cancelled'))
                  AND (\(numberPrefix)::text IS NULL OR upper(s.number) LIKE \(numberPrefix))
                ORDER BY s.id LIMIT \(page.fetch)
                """,
                logger: logger
            ).collect()
            let result = page.page(try rows.map { try Referral(row: $0, vault: db.vault) }, id: \.id)
            try await audit.record(
                .search,
                residents: Array(Set(result.items.map(\.residentId))).sorted(),
                detail: result.items.isEmpty ? "referrals: no results" : "referrals",
                on: conn,
                logger: logger
            )
            return result
        }
    }

    func fetch(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Referral? {
        try await fetchRow(id, on: conn, logger: logger).map { try Referral(row: $0, vault: db.vault) }
    }

    /// The slip's row, for a read that may open the patient's number from it without reading it again.
    func fetchRow(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> PostgresRow? {
        for try await row in try await conn.query("\(unescaped: Referral.select) WHERE s.id = \(id)", logger: logger) { return row }
        return nil
    }

    func lock(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Referral? {
        for try await row in try await conn.query("\(unescaped: Referral.select) WHERE s.id = \(id) FOR UPDATE OF s", logger: logger) {
            return try Referral(row: row, vault: db.vault)
        }
        return nil
    }

    func event(
        _ id: Int64,
        user: Int64,
        action: String,
        from: ReferralStatus?,
        to: ReferralStatus,
        note: String?,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws {
        try await conn.query(
            """
            INSERT INTO referral_event (referral_id, user_id, action, from_status, to_status, note)
            VALUES (\(id), \(user), \(action), \(from?.rawValue)::referral_status, \(to.rawValue)::referral_status, \(note?.trimmed))
            """,
            logger: logger
        )
    }
}
