import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// The checks on who the caller is within a care team or centre, one statement each, shared by every
/// store that asks them (flags, referrals, board approvals, rounds settings).
extension PostgresConnection {
    /// Whether `userId` is a doctor of the team whose catchment holds `microGridId`: "a doctor of the
    /// resident's team".
    func isTeamDoctor(_ userId: Int64, microGridId: Int64, logger: Logger) async throws -> Bool {
        try await first(
            """
            SELECT 1 FROM app_user u
            JOIN care_team_member m ON m.worker_id = u.worker_id AND m.team_role = 'doctor'
            JOIN care_team_catchment c ON c.team_id = m.team_id AND c.micro_grid_id = \(microGridId)
            WHERE u.id = \(userId)
            """,
            as: Int.self,
            logger: logger
        ) != nil
    }

    /// Whether `userId` is a doctor of team `teamId`: "the slip's team's doctor".
    func isDoctor(_ userId: Int64, ofTeam teamId: Int64, logger: Logger) async throws -> Bool {
        try await first(
            """
            SELECT 1 FROM app_user u JOIN care_team_member m ON m.worker_id = u.worker_id AND m.team_role = 'doctor' AND m.team_id = \(teamId)
            WHERE u.id = \(userId)
            """,
            as: Int.self,
            logger: logger
        ) != nil
    }

    /// The centre whose teams and workers the caller may manage: nil for an administrator (every centre),
    /// -1 (matching nothing) for a user who works for no centre.
    func managedCentre(_ scope: Scope, logger: Logger) async throws -> Int64? {
        guard scope.role != .admin else { return nil }
        return try await first(
            """
            SELECT coalesce(w.centre_id, -1) FROM app_user u JOIN worker w ON w.id = u.worker_id WHERE u.id = \(scope.userId)
            """,
            as: Int64.self,
            logger: logger
        ) ?? -1
    }

    /// Whether the caller may see the whole number of the patient on a slip in `status` (AccessRules.mayRevealOnSlip).
    func mayRevealOnSlip(_ scope: Scope, status: ReferralStatus, microGridId: Int64, logger: Logger) async throws -> Bool {
        let ownTeam = scope.role == .centreStaff ? try await isTeamClinician(scope, microGridId: microGridId, logger: logger) : false
        return AccessRules.mayRevealOnSlip(as: scope.role, status: status, ofOwnTeam: ownTeam)
    }

    /// Whether the caller is a doctor, nurse or public-health member of the team whose catchment holds
    /// `microGridId` (gridcare_is_team_clinician, 0037, which the one-call resident read uses too).
    func isTeamClinician(_ scope: Scope, microGridId: Int64, logger: Logger) async throws -> Bool {
        try await first("SELECT gridcare_is_team_clinician(\(scope.userId), \(microGridId))", as: Bool.self, logger: logger) ?? false
    }
}
