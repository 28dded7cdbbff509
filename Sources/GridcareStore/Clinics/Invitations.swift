import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Who to invite to a session: residents of the station's micro-grids (in the catchment of the clinic's
/// team) with a clinical visit due by the session's day and not yet booked. Bedbound residents cannot
/// come to a clinic; they are listed apart, for the rounds.
public struct Invitations: Sendable {
    public var invite: [DueVisit]
    public var forRounds: [DueVisit]

    public static func forSession(_ sessionId: Int64, db: Database, today: SimpleDate, logger: Logger) async throws -> Invitations {
        guard
            let (day, residents, bedbound) = try await db.first(
                """
                WITH s AS (
                    SELECT cs.on_date, c.team_id, st.area_id AS community
                    FROM clinic_session cs JOIN clinic c ON c.id = cs.clinic_id JOIN facility st ON st.id = c.station_id
                    WHERE cs.id = \(sessionId) AND cs.status = 'scheduled'
                ),
                grids AS (
                    SELECT k.micro_grid_id FROM s
                    JOIN care_team_catchment k ON k.team_id = s.team_id
                    JOIN area mg ON mg.id = k.micro_grid_id JOIN area g ON g.id = mg.parent_id
                    WHERE g.parent_id = s.community
                ),
                people AS (
                    SELECT r.id, 'bedbound' = ANY(r.conditions) AS bedbound FROM resident r
                    WHERE r.micro_grid_id IN (SELECT micro_grid_id FROM grids)
                      AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.session_id = \(sessionId) AND b.resident_id = r.id AND b.status <> 'cancelled')
                )
                SELECT to_char((SELECT on_date FROM s), 'YYYY-MM-DD'), coalesce(array_agg(id), '{}'),
                       coalesce(array_agg(id) FILTER (WHERE bedbound), '{}')
                FROM people HAVING (SELECT count(*) FROM s) > 0
                """,
                as: (String, [Int64], [Int64]).self,
                logger: logger
            )
        else {
            throw StoreError.notFound("session")
        }
        let until = SimpleDate(iso: day)!
        guard !residents.isEmpty else { return Invitations(invite: [], forRounds: []) }
        let (due, _) = try await DueVisitStore(db).due(
            .init(residentIds: residents, today: min(today, until), until: until, limit: 5000),
            logger: logger
        )
        let clinical = due.filter { $0.visit.isClinical && $0.visit != .homeVisit }
        let lying = Set(bedbound)
        return Invitations(
            invite: clinical.filter { !lying.contains($0.residentId) },
            forRounds: clinical.filter { lying.contains($0.residentId) }
        )
    }
}
