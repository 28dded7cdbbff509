import Foundation
import GridcareCore
import Logging

/// A few referral slips for a demo district, written and moved through the real store as the demo doctor
/// and hospital user would (scoped, audited), so the hospital's inbox and the loop report have content.
public enum DemoReferrals {
    /// How far each demo slip gets: two waiting in the inbox, then one further at each stage.
    static let stages: [(ReferralUrgency, [ReferralStatus.Action])] = [
        (.greenChannel, []), (.routine, []), (.urgent, [.receive]), (.routine, [.receive, .accept, .admit]),
        (.urgent, [.receive, .accept, .admit, .discharge]), (.routine, [.receive, .accept, .admit, .discharge, .followUp, .close]),
        (.routine, [.receive, .decline]),
    ]

    /// Returns how many slips were written (none when the doctor's own team has no hypertensive resident:
    /// a doctor writes slips for their team's residents only, not every resident of their centre).
    public static func seed(
        doctorId: Int64,
        hospitalUserId: Int64,
        hospitalId: Int64,
        rules: ReferralRules,
        db: Database,
        logger: Logger
    ) async throws -> Int {
        try await DemoActors.acting(as: [doctorId, hospitalUserId], db: db, logger: logger) { actors in
            let doctor = ReferralStore(actors[0], rules: rules)
            let hospital = ReferralStore(actors[1], rules: rules)
            let residents = try await doctor.db.rows(
                """
                SELECT r.id FROM resident r
                JOIN care_team_catchment k ON k.micro_grid_id = r.micro_grid_id
                JOIN care_team_member m ON m.team_id = k.team_id AND m.team_role = 'doctor'
                WHERE 'hypertension' = ANY (r.conditions) AND m.worker_id = (SELECT worker_id FROM app_user WHERE id = \(doctorId))
                ORDER BY r.id LIMIT \(stages.count)
                """,
                as: Int64.self,
                logger: logger
            )
            for (resident, (urgency, steps)) in zip(residents, stages) {
                var slip = try await doctor.create(
                    .init(
                        residentId: resident,
                        hospitalId: hospitalId,
                        department: "心内科",
                        urgency: urgency,
                        reason: "血压控制不佳，需专科评估调整用药",
                        diagnosis: "高血压",
                        send: true
                    ),
                    logger: logger
                )
                for action in steps {
                    let store = action.party == .hospital ? hospital : doctor
                    let step = ReferralStore.Step(
                        action: action,
                        note: action == .decline ? "专科床位已满，建议转上级医院" : nil,
                        plan: action == .discharge ? ("低盐饮食，每日早晚测血压并记录", "氨氯地平 5mg 每日一次", nil) : nil
                    )
                    slip = try await store.act(slip.id, step, ifVersion: nil, logger: logger)
                }
            }
            return residents.count
        }
    }
}
