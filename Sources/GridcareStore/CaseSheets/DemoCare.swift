import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Care records for a demo district, so due lists and case sheets have something in them: confirmed
/// flags for residents whose circumstances a grid worker would flag, and past follow-ups and checks for
/// most residents with a chronic condition. Deterministic (hash of the resident id), one statement each.
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
                CROSS JOIN LATERAL (SELECT (\(today.iso)::date - ((r.id * 104729) % 200)::int)::timestamptz AS at) d
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
                       (\(today.iso)::date - ((r.id * 31337) % v.days)::int)::timestamptz + interval '9 hours', 'demo'
                FROM resident r
                CROSS JOIN LATERAL (VALUES ('doctor_follow_up', 120, r.conditions && '{hypertension,type2_diabetes,severe_mental_illness}' AND r.id % 5 < 3),
                                           ('annual_check', 300, r.birth_date <= \(today.iso)::date - 65 * 365 AND r.id % 2 = 0)) AS v(visit, days, applies)
                WHERE r.district_id = \(districtId) AND v.applies
                RETURNING 1
                """,
                logger: logger
            ).collect().count
            try await conn.query("ANALYZE risk_flag, service_entry", logger: logger)
            return Summary(flags: flags, services: services)
        }
    }
}
