import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Care records for a demo district, so due lists and case sheets have something in them: confirmed
/// flags for residents whose circumstances a grid worker would flag, and past follow-ups and checks for
/// most residents with a chronic condition, with the readings taken at each follow-up. Deterministic (hash of the resident id), one statement each.
public enum DemoCare {
    public struct Summary: Sendable { public var flags: Int, services: Int }

    public static func seed(
        districtId: Int64,
        raisedBy: Int64,
        decidedBy: Int64,
        today: SimpleDate,
        db: Database,
        logger: Logger
    ) async throws -> Summary {
        try await db.transaction(logger: logger) { conn in
            let flags = try await conn.query(
                """
                INSERT INTO risk_flag (district_id, resident_id, micro_grid_id, category, tier, population, status, raised_by, raised_at, decided_by, decided_at)
                SELECT r.district_id, r.id, r.micro_grid_id, c.category::flag_category,
                       (ARRAY['red', 'yellow', 'green', 'green']::flag_tier[])[1 + (r.id * 7919) % 4],
                       CASE WHEN c.category IN ('living_alone', 'extremely_poor') THEN 'key' ELSE 'secondary' END::flag_population,
                       'confirmed', \(raisedBy), d.at - interval '3 days', \(decidedBy), d.at
                FROM resident r
                CROSS JOIN LATERAL unnest(r.circumstances) AS c(category)
                CROSS JOIN LATERAL (SELECT (\(today)::date - ((r.id * 104729) % 200)::int)::timestamptz AS at) d
                WHERE r.district_id = \(districtId)
                RETURNING 1
                """,
                logger: logger
            ).collect().count
            // 60% of chronic patients were followed up in the last 120 days; 50% of the over-65s were checked this year.
            let services = try await conn.query(
                """
                INSERT INTO service_entry (district_id, resident_id, micro_grid_id, kind, visit, performed_by, performed_at, notes)
                SELECT r.district_id, r.id, r.micro_grid_id, 'clinic_visit', v.visit::visit_kind, \(decidedBy),
                       (\(today)::date - ((r.id * 31337) % v.days)::int)::timestamptz + interval '9 hours', 'demo'
                FROM resident r
                CROSS JOIN LATERAL (VALUES ('doctor_follow_up', 120, r.conditions && '{hypertension,type2_diabetes,severe_mental_illness}' AND r.id % 5 < 3),
                                           ('annual_check', 300, r.birth_date <= \(today)::date - 65 * 365 AND r.id % 2 = 0)) AS v(visit, days, applies)
                WHERE r.district_id = \(districtId) AND v.applies
                RETURNING 1
                """,
                logger: logger
            ).collect().count
            // Earlier follow-ups of the same patients, a quarter apart (older than the last, so nothing
            // due moves), up to four in the year: the dashboard's 规范管理率 then has something to count.
            let earlier = try await conn.query(
                """
                INSERT INTO service_entry (district_id, resident_id, micro_grid_id, kind, visit, performed_by, performed_at, notes)
                SELECT s.district_id, s.resident_id, s.micro_grid_id, 'clinic_visit', 'doctor_follow_up', s.performed_by,
                       s.performed_at - make_interval(days => 91 * q), 'demo'
                FROM service_entry s CROSS JOIN generate_series(1, 3) AS q
                WHERE s.district_id = \(districtId) AND s.visit = 'doctor_follow_up' AND q <= (s.resident_id * 7) % 4
                RETURNING 1
                """,
                logger: logger
            ).collect().count
            // The blood pressure (and for diabetics the fasting glucose) taken at each follow-up, within the
            // range a controlled or an uncontrolled patient shows, never an urgent one (no alert is made here).
            try await conn.query(
                """
                INSERT INTO vital_reading (district_id, resident_id, micro_grid_id, service_id, measured_at, measured_by, systolic, diastolic, glucose_fasting)
                SELECT s.district_id, s.resident_id, s.micro_grid_id, s.id, s.performed_at, s.performed_by,
                       118 + ((s.id * 7919 + s.resident_id) % 48)::int, 68 + ((s.id * 104729 + s.resident_id) % 30)::int,
                       CASE WHEN 'type2_diabetes' = ANY (r.conditions) THEN round((5.2 + ((s.id * 31337) % 44) / 10.0)::numeric, 1) END
                FROM service_entry s JOIN resident r ON r.id = s.resident_id
                WHERE s.district_id = \(districtId) AND s.visit = 'doctor_follow_up'
                """,
                logger: logger
            )
            try await conn.query("ANALYZE risk_flag, service_entry, vital_reading", logger: logger)
            return Summary(flags: flags, services: services + earlier)
        }
    }
}
