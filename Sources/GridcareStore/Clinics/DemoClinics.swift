import Foundation
import GridcareCore
import Logging

/// The weekly fixed-day village clinic of every team of a demo district: a morning (08:30–11:30, 15-minute
/// slots, two places each), Wednesday at the team's own station of its centre where there is one, with the coming weeks'
/// sessions generated through the real store, holidays moved as the configuration says.
public enum DemoClinics {
    /// Returns how many clinics were defined (none for a team whose centre has no station).
    public static func seed(
        districtId: Int64,
        from: SimpleDate,
        weeks: Int,
        calendar: HolidayCalendar,
        onHoliday: HolidayRule,
        db: Database,
        logger: Logger
    ) async throws -> Int {
        let teams = try await db.rows(
            """
            SELECT t.id, t.centre_id, s.ids FROM care_team t
            CROSS JOIN LATERAL (SELECT array_agg(id ORDER BY id) AS ids FROM facility WHERE kind = 'station' AND centre_id = t.centre_id) s
            WHERE t.district_id = \(districtId) AND s.ids IS NOT NULL AND NOT EXISTS (SELECT 1 FROM clinic c WHERE c.team_id = t.id)
            ORDER BY t.centre_id, t.id
            """,
            as: (Int64, Int64, [Int64]).self,
            logger: logger
        )
        // Teams of one centre take its stations in turn; when there are more teams than stations, the next
        // round of teams takes another weekday, so no two clinics of a station overlap.
        var placed: [Int64: Int] = [:]
        var pairs: [(team: Int64, station: Int64, weekday: Int)] = []
        for (team, centre, stations) in teams {
            let i = placed[centre, default: 0]
            placed[centre] = i + 1
            pairs.append((team, stations[i % stations.count], [3, 1, 2, 4, 5][(i / stations.count) % 5]))
        }
        let clinics = ClinicStore(db)
        for (team, station, weekday) in pairs {
            let clinic = try await clinics.create(
                stationId: station,
                teamId: team,
                rule: ClinicRule(
                    weekday: weekday,
                    startMinute: 8 * 60 + 30,
                    endMinute: 11 * 60 + 30,
                    slotMinutes: 15,
                    capacityPerSlot: 2,
                    validFrom: from,
                    validUntil: nil
                ),
                logger: logger
            )
            _ = try await clinics.generate(
                from: from,
                through: from.adding(days: weeks * 7 - 1),
                clinicId: clinic.id,
                calendar: calendar,
                onHoliday: onHoliday,
                keepSessions: true,
                logger: logger
            )
        }
        return pairs.count
    }
}
