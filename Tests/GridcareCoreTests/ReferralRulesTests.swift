import Foundation
import GridcareCore
import Testing

@Suite struct ReferralStatusTests {
    typealias S = ReferralStatus
    typealias A = ReferralStatus.Action

    /// The whole machine written out by hand (PRODUCT.md), compared with the type that owns it.
    static let expected: [S: [A: S]] = [
        .draft: [.send: .sent, .cancel: .cancelled],
        .sent: [.receive: .received, .cancel: .cancelled],
        .received: [.accept: .accepted, .decline: .declined, .cancel: .cancelled],
        .accepted: [.admit: .admitted, .cancel: .cancelled],
        .declined: [.close: .closed, .cancel: .cancelled],
        .admitted: [.discharge: .dischargedDown, .cancel: .cancelled],
        .dischargedDown: [.followUp: .followUpDone, .cancel: .cancelled],
        .followUpDone: [.close: .closed, .cancel: .cancelled],
        .closed: [:], .cancelled: [:],
    ]

    @Test func everyStateAndActionMatchesTheWrittenMachine() {
        for state in S.allCases {
            let legal = Self.expected[state]!
            #expect(Set(state.allowedActions) == Set(legal.keys), "\(state)")
            for action in A.allCases {
                if let next = legal[action] {
                    #expect((try? state.after(action)) == next, "\(state) + \(action)")
                } else {
                    #expect(
                        throws: TransitionError(
                            noun: "slip",
                            from: state.rawValue,
                            action: action.rawValue,
                            allowed: state.allowedActions.map(\.rawValue)
                        )
                    ) {
                        try state.after(action)
                    }
                }
            }
        }
    }

    @Test func aRefusalNamesWhatMayComeNext() {
        do {
            _ = try S.sent.after(.admit)
            Issue.record("admitting a sent slip was allowed")
        } catch {
            #expect(error.allowed == ["receive", "cancel"])
            #expect(error.description.contains("receive, cancel"))
        }
        #expect(!S.closed.isOpen && !S.cancelled.isOpen && S.declined.isOpen)
    }

    @Test func theHospitalAndTheTeamEachMoveTheirOwnSteps() {
        #expect(A.allCases.filter { $0.party == .hospital } == [.receive, .accept, .decline, .admit, .discharge])
        for action in A.allCases {
            #expect(AccessRules.mayActOnReferral(action, as: .admin))
            #expect(AccessRules.mayActOnReferral(action, as: .centreStaff) == (action.party == .team))
            #expect(AccessRules.mayActOnReferral(action, as: .hospitalStaff) == (action.party == .hospital))
            #expect(!AccessRules.mayActOnReferral(action, as: .gridWorker))
            #expect(!AccessRules.mayActOnReferral(action, as: .districtManager))
        }
    }
}

@Suite struct ReferralRulesTests {
    @Test func acknowledgementWindowsFollowTheUrgency() {
        let rules = ReferralRules()
        let sent = Date(timeIntervalSince1970: 1_790_000_000)
        #expect(rules.acknowledgeBy(sentAt: sent, urgency: .greenChannel) == sent.addingTimeInterval(2 * 3600))
        #expect(rules.acknowledgeBy(sentAt: sent, urgency: .urgent) == sent.addingTimeInterval(8 * 3600))
        #expect(rules.acknowledgeBy(sentAt: sent, urgency: .routine) == sent.addingTimeInterval(24 * 3600))
    }

    @Test func theFollowUpIsDueWithinTheWindowOfDischarge() throws {
        var rules = ReferralRules()
        let day = SimpleDate(year: 2026, month: 12, day: 25)!
        #expect(try rules.followUpBy(dischargedOn: day, planned: nil) == SimpleDate(year: 2027, month: 1, day: 8)!)
        #expect(try rules.followUpBy(dischargedOn: day, planned: day.adding(days: 3)) == day.adding(days: 3))
        #expect(throws: FieldError.self) { try rules.followUpBy(dischargedOn: day, planned: day.adding(days: 15)) }
        #expect(throws: FieldError.self) { try rules.followUpBy(dischargedOn: day, planned: day.adding(days: -1)) }
        rules.followUpWithinDays = 30
        #expect(try rules.followUpBy(dischargedOn: day, planned: day.adding(days: 15)) == day.adding(days: 15))
    }

    @Test func numbersAreUniquePerCentreAndYearAndSortInOrder() {
        #expect(ReferralRules.number(centre: 12, year: 2026, sequence: 123) == "C12-2026-000123")
        #expect(ReferralRules.number(centre: 12, year: 2026, sequence: 1_234_567) == "C12-2026-1234567")
        #expect(ReferralRules.number(centre: 3, year: 2027, sequence: 1) != ReferralRules.number(centre: 3, year: 2026, sequence: 1))
    }

    @Test func theStartOfADayInChinaIsSixteenHundredUTCTheDayBefore() {
        let day = SimpleDate(year: 2026, month: 11, day: 26)!
        #expect(day.startInChina == ISO8601DateFormatter().date(from: "2026-11-25T16:00:00Z"))
        #expect(SimpleDate.todayInChina(now: day.startInChina) == day)
    }
}
