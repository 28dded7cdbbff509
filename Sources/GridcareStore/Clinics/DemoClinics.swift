import Foundation
import GridcareCore
import Logging

/// The weekly fixed-day village clinic of every team of a demo district: Wednesday mornings (08:30–11:30,
/// 15-minute slots, two places each) at the first station of the team's centre, with the coming weeks'
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
        let pairs = try await db.rows(
            """
            SELECT t.id, s.id FROM care_team t
            CROSS JOIN LATERAL (SELECT id FROM facility WHERE kind = 'station' AND centre_id = t.centre_id ORDER BY id LIMIT 1) s
            WHERE t.district_id = \(districtId) AND NOT EXISTS (SELECT 1 FROM clinic c WHERE c.team_id = t.id)
            ORDER BY t.id
            """,
            as: (Int64, Int64).self,
            logger: logger
        )
        let clinics = ClinicStore(db)
        for (team, station) in pairs {
            let clinic = try await clinics.create(
                stationId: station,
                teamId: team,
                rule: ClinicRule(
                    weekday: 3,
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
