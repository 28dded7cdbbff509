import GridcareCore
import Testing

@Suite struct DemoDistrictTests {
    let today = SimpleDate(year: 2026, month: 11, day: 26)!

    @Test func theSameSeedGivesTheSameDistrict() {
        let a = DemoDistrict.generate(residents: 3_000, seed: 42, today: today)
        let b = DemoDistrict.generate(residents: 3_000, seed: 42, today: today)
        let c = DemoDistrict.generate(residents: 3_000, seed: 43, today: today)
        #expect(a.residents.map(\.idNumber) == b.residents.map(\.idNumber))
        #expect(a.households.map(\.latitude) == b.households.map(\.latitude))
        #expect(a.residents.map(\.idNumber) != c.residents.map(\.idNumber))
    }

    @Test func itLooksLikeARealCatchment() throws {
        let demo = DemoDistrict.generate(residents: 30_000, seed: 7, today: today)
        #expect(demo.residents.count == 30_000)
        // Every micro-grid holds 30–100 households.
        var perMicroGrid: [Int: Int] = [:]
        for h in demo.households { perMicroGrid[h.microGrid, default: 0] += 1 }
        let microGrids = demo.areas.indices.filter { demo.areas[$0].level == .microGrid }
        #expect(microGrids.allSatisfy { (30...100).contains(perMicroGrid[$0] ?? 0) })
        // Every micro-grid is in exactly one team, and every team is 1+1+N.
        let covered = demo.teams.flatMap(\.microGrids)
        #expect(Set(covered) == Set(microGrids))
        #expect(covered.count == Set(covered).count)
        for team in demo.teams {
            let seats = team.members.map { TeamSeat(workerId: Int64($0.worker), teamRole: $0.role, workerRole: demo.workers[$0.worker].role) }
            #expect(TeamComposition.violations(seats).isEmpty)
        }
        // Identity numbers are valid, unique and agree with sex and birth date.
        #expect(Set(demo.residents.map(\.idNumber)).count == demo.residents.count)
        for r in demo.residents.prefix(2_000) {
            let id = try IDCardNumber(r.idNumber)
            #expect(id.birthDate == r.birthDate)
            #expect(id.isMale == (r.sex == .male))
        }
        // Shares in plausible ranges.
        let elderly = demo.residents.filter { $0.birthDate.years(until: today) >= 65 }
        let share = Double(elderly.count) / Double(demo.residents.count)
        #expect((0.12...0.40).contains(share))
        let hypertensive = elderly.filter { $0.conditions.contains(.hypertension) }.count
        #expect((0.35...0.65).contains(Double(hypertensive) / Double(elderly.count)))
        #expect(demo.residents.contains { $0.circumstances.contains(.livingAlone) })
        #expect(demo.residents.contains { $0.circumstances.contains(.leftBehindChild) })
        #expect(demo.residents.contains { $0.conditions.contains(.disability) })
    }
}
