import GridcareCore
import Testing

@Suite struct TeamCompositionTests {
    let whole: [TeamSeat] = [
        TeamSeat(workerId: 1, teamRole: .doctor, workerRole: .doctor),
        TeamSeat(workerId: 2, teamRole: .nurse, workerRole: .nurse),
        TeamSeat(workerId: 3, teamRole: .partyMember, workerRole: .partyMember),
        TeamSeat(workerId: 4, teamRole: .gridWorker, workerRole: .microGridWorker),
    ]

    @Test func aWholeTeamHasNoViolations() throws {
        #expect(TeamComposition.violations(whole).isEmpty)
        try TeamComposition.validate(whole)
    }

    @Test func eachMissingSeatIsNamed() {
        #expect(TeamComposition.violations(Array(whole.dropFirst())) == ["has no active doctor"])
        #expect(TeamComposition.violations(whole.filter { $0.teamRole != .partyMember }) == ["has 0 active party members, needs exactly 1"])
        #expect(TeamComposition.violations(whole.filter { $0.teamRole != .gridWorker }) == ["has no active micro-grid worker"])
    }

    @Test func twoPartyMembersBreakTheRule() {
        let seats = whole + [TeamSeat(workerId: 5, teamRole: .partyMember, workerRole: .partyMember)]
        #expect(TeamComposition.violations(seats) == ["has 2 active party members, needs exactly 1"])
    }

    @Test func anInactiveDoctorDoesNotCount() {
        var seats = whole
        seats[0].active = false
        #expect(TeamComposition.violations(seats) == ["has no active doctor"])
    }

    @Test func aNurseCannotSitAsDoctor() {
        var seats = whole
        seats[0] = TeamSeat(workerId: 1, teamRole: .doctor, workerRole: .nurse)
        #expect(TeamComposition.violations(seats).contains("worker 1 is a nurse and cannot sit as doctor"))
    }

    @Test func aWorkerListedTwiceIsRefused() {
        #expect(throws: ValidationFailure([FieldError("members", "worker 4 is listed twice")])) {
            try TeamComposition.validate(whole + [TeamSeat(workerId: 4, teamRole: .gridWorker, workerRole: .microGridWorker)])
        }
    }
}

@Suite struct ContractTermsTests {
    let start = SimpleDate(year: 2026, month: 1, day: 1)!

    func contract(ended: SimpleDate? = nil) -> Contract {
        Contract(
            id: 1,
            districtId: 1,
            residentId: 1,
            teamId: 1,
            startsOn: start,
            termEndsOn: start.adding(years: 1),
            endedOn: ended,
            endReason: ended == nil ? nil : .terminated,
            previousId: nil,
            version: 1
        )
    }

    @Test func aContractRunsAtLeastAYear() throws {
        #expect(try ContractTerms.termEnd(start: start, years: 1).iso == "2027-01-01")
        #expect(throws: FieldError.self) { try ContractTerms.termEnd(start: self.start, years: 0) }
    }

    @Test func renewalContinuesTheDayTheTermEnds() throws {
        let (s, e) = try ContractTerms.renewal(of: contract(), years: 2)
        #expect(s.iso == "2027-01-01")
        #expect(e.iso == "2029-01-01")
        #expect(throws: FieldError.self) { try ContractTerms.renewal(of: self.contract(ended: SimpleDate(year: 2026, month: 6, day: 1)!), years: 1) }
    }

    @Test func endsMustFallInsideTheTerm() throws {
        try ContractTerms.checkEnd(of: contract(), on: SimpleDate(year: 2026, month: 6, day: 1)!)
        #expect(throws: FieldError.self) { try ContractTerms.checkEnd(of: self.contract(), on: self.start) }
        #expect(throws: FieldError.self) { try ContractTerms.checkEnd(of: self.contract(), on: SimpleDate(year: 2027, month: 1, day: 2)!) }
    }

    @Test func activeMeansCoveringTheDay() {
        let c = contract()
        #expect(c.isActive(on: start))
        #expect(c.isActive(on: SimpleDate(year: 2026, month: 12, day: 31)!))
        #expect(!c.isActive(on: SimpleDate(year: 2027, month: 1, day: 1)!))
    }
}

@Suite struct CoverageReportTests {
    @Test func findsUncoveredBrokenAndOddSized() {
        let lines = [
            (line: CoverageReport.MicroGridLine(microGridId: 1, name: "a", gridName: "g", households: 50), teamId: Int64?(7)),
            (line: CoverageReport.MicroGridLine(microGridId: 2, name: "b", gridName: "g", households: 12), teamId: Int64?(7)),
            (line: CoverageReport.MicroGridLine(microGridId: 3, name: "c", gridName: "g", households: 101), teamId: Int64?.none),
        ]
        let broken = [TeamSeat(workerId: 1, teamRole: .doctor, workerRole: .doctor)]
        let report = CoverageReport.build(microGrids: lines, teams: [(id: 7, name: "t", seats: broken)], rules: CoverageRules())
        #expect(report.microGrids == 3)
        #expect(report.coveredMicroGrids == 2)
        #expect(report.uncovered.map(\.microGridId) == [3])
        #expect(report.outOfSize.map(\.microGridId) == [2, 3])
        #expect(report.brokenTeams.map(\.teamId) == [7])
        #expect(report.brokenTeams[0].problems.count == 2)
    }
}
