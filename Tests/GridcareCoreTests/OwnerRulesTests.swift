import GridcareCore
import Testing

/// The owner rules of AccessRules, on plain values (the API tests show the stores apply them).
@Suite struct OwnerRulesTests {
    @Test func anOfferIsWithdrawnByItsPosterOrAnAdministrator() {
        #expect(AccessRules.mayWithdrawOffer(postedBy: 7, caller: 7, role: .gridWorker))
        #expect(AccessRules.mayWithdrawOffer(postedBy: 7, caller: 1, role: .admin))
        for role in [Role.gridWorker, .centreStaff] { #expect(!AccessRules.mayWithdrawOffer(postedBy: 7, caller: 8, role: role)) }
    }

    @Test func aClaimIsCarriedAndCancelledByItsClaimerAndConfirmedByAGridWorker() {
        for action in [ClaimStatus.Action.pickUp, .cancel] {
            #expect(AccessRules.mayActOnClaim(action, claimedBy: 7, caller: 7, role: .centreStaff))
            #expect(AccessRules.mayActOnClaim(action, claimedBy: 7, caller: 1, role: .admin))
            #expect(!AccessRules.mayActOnClaim(action, claimedBy: 7, caller: 8, role: .gridWorker))
        }
        #expect(AccessRules.mayActOnClaim(.deliver, claimedBy: 7, caller: 8, role: .gridWorker))
        #expect(!AccessRules.mayActOnClaim(.deliver, claimedBy: 7, caller: 7, role: .centreStaff))
    }

    @Test func theSlipsTeamDoctorsSendCloseAndCancelIt() {
        for action in ReferralStatus.Action.allCases {
            let doctorsOnly = [.send, .close, .cancel].contains(action)
            #expect(AccessRules.mayActOnReferral(action, as: .centreStaff, isDoctorOfSlipTeam: true) == (action.party == .team))
            #expect(AccessRules.mayActOnReferral(action, as: .centreStaff, isDoctorOfSlipTeam: false) == (action.party == .team && !doctorsOnly))
            #expect(AccessRules.mayActOnReferral(action, as: .admin, isDoctorOfSlipTeam: false))
            #expect(AccessRules.mayActOnReferral(action, as: .hospitalStaff, isDoctorOfSlipTeam: false) == (action.party == .hospital))
        }
    }
}
