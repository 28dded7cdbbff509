import GridcareCore
import Testing

/// Every state machine but the referral's (ReferralStatusTests), written out by hand from PRODUCT.md and
/// compared state × action with the type that owns it.
@Suite struct StateMachineTests {
    /// Each legal move leads where the table says; every other action is refused with the one
    /// TransitionError, naming the allowed next actions.
    func check<M: StateMachine>(_ expected: [M: [M.Action: M]], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(expected.keys) == Set(M.allCases), "the table covers every state", sourceLocation: sourceLocation)
        for state in M.allCases {
            let legal = expected[state] ?? [:]
            #expect(Set(state.allowedActions) == Set(legal.keys), "\(state)", sourceLocation: sourceLocation)
            for action in M.Action.allCases {
                if let next = legal[action] {
                    #expect((try? state.after(action)) == next, "\(state) + \(action)", sourceLocation: sourceLocation)
                } else {
                    let refusal = TransitionError(
                        noun: M.noun,
                        from: state.rawValue,
                        action: action.rawValue,
                        allowed: state.allowedActions.map(\.rawValue),
                        hint: state.hint(action)
                    )
                    #expect(throws: refusal, "\(state) + \(action)", sourceLocation: sourceLocation) { try state.after(action) }
                }
            }
        }
    }

    @Test func flags() {
        check([
            FlagStatus.raised: [.confirm: .confirmed, .dismiss: .dismissed], .confirmed: [.close: .closed],
            .dismissed: [.close: .closed], .closed: [:],
        ])
    }

    @Test func alerts() {
        check([AlertStatus.open: [.acknowledge: .acknowledged, .close: .closed], .acknowledged: [.close: .closed], .closed: [:]])
    }

    @Test func bookings() {
        check([
            BookingStatus.booked: [.checkIn: .checkedIn, .noShow: .noShow, .cancel: .cancelled],
            .checkedIn: [.complete: .completed, .cancel: .cancelled], .completed: [:], .noShow: [:], .cancelled: [:],
        ])
    }

    @Test func claims() {
        check([
            ClaimStatus.reserved: [.pickUp: .pickedUp, .cancel: .cancelled], .pickedUp: [.deliver: .delivered, .cancel: .cancelled],
            .delivered: [:], .cancelled: [:],
        ])
    }

    @Test func plannedVisits() {
        check([PlannedVisitStatus.planned: [.done: .done, .missed: .missed], .done: [:], .missed: [:]])
    }

    @Test func referrals() {
        check(ReferralStatusTests.expected)
    }

    @Test func aRefusalSaysWhatMayComeNextAndWhy() {
        #expect(throws: TransitionError.self) { try BookingStatus.booked.after(.complete) }
        do {
            _ = try BookingStatus.booked.after(.complete)
        } catch {
            #expect(
                error.description
                    == "check the resident in before completing the visit; a booked booking cannot complete; it can next: check_in, no_show, cancel"
            )
        }
        do {
            _ = try ClaimStatus.delivered.after(.cancel)
        } catch {
            #expect(error.allowed.isEmpty && error.description == "a delivered claim cannot cancel; it can next: nothing (the claim is delivered)")
        }
    }
}
