import GridcareCore
import GridcareRouting
import Testing

/// The demo district's forces make the 3-hour report say something: most micro-grids reach everyone,
/// a minority do not, and each of those is told how many more people it needs.
@Suite struct DemoForcesTests {
    let today = SimpleDate(year: 2026, month: 11, day: 26)!

    @Test func theDemoSeparatesMicroGridsThatNeedHelpFromThoseThatDoNot() {
        let demo = DemoDistrict.generate(residents: 20_000, seed: 1, today: today)
        let microGrids = demo.areas.indices.filter { demo.areas[$0].level == .microGrid }
        var forces: [Int: [WorkerRole: Int]] = [:]
        for w in demo.workers { if let area = w.area { forces[area, default: [:]][w.role, default: 0] += 1 } }
        var houses: [Int: (lat: [Double], lon: [Double])] = [:]
        for h in demo.households {
            houses[h.microGrid, default: ([], [])].lat.append(h.latitude)
            houses[h.microGrid]!.lon.append(h.longitude)
        }

        func check(_ kind: MobilisationKind, onlyTheWorker: Bool = false) -> [MobilisationResult] {
            microGrids.map { mg in
                let f = MobilisationForces(forces[mg] ?? [:])
                return Mobilisation.check(
                    latitudes: houses[mg]?.lat ?? [],
                    longitudes: houses[mg]?.lon ?? [],
                    workers: onlyTheWorker ? f.workers : f.total,
                    rule: MobilisationRules().rule(kind)
                )
            }
        }
        // Every micro-grid has its own worker; most have party members, building leaders, volunteers.
        #expect(microGrids.allSatisfy { MobilisationForces(forces[$0] ?? [:]).workers == 1 })
        let people = microGrids.map { MobilisationForces(forces[$0] ?? [:]).total }
        #expect(Double(people.filter { $0 >= 4 }.count) / Double(microGrids.count) > 0.8)

        let notice = check(.notice)
        let doorToDoor = check(.doorToDoor)
        let noticeFails = notice.filter { !$0.meets }.count
        let checkFails = doorToDoor.filter { !$0.meets }.count
        // A minority fails a notice at the door; a door-to-door check, slower, fails at least those.
        #expect(noticeFails > 0 && Double(noticeFails) / Double(microGrids.count) < 0.15, "\(noticeFails) of \(microGrids.count)")
        #expect(checkFails >= noticeFails && Double(checkFails) / Double(microGrids.count) < 0.25, "\(checkFails) of \(microGrids.count)")
        // Each failing one needs a known number of extra people, which would be enough.
        for r in notice + doorToDoor where !r.meets {
            #expect((r.shortfall ?? 0) >= 1 && r.workers + r.shortfall! == r.fewestWorkers)
        }
        // With its worker alone (what the check counted before), a micro-grid rarely reaches everyone.
        #expect(check(.doorToDoor, onlyTheWorker: true).filter { !$0.meets }.count == microGrids.count)
    }

    @Test func onlyTheForcesKindsCount() {
        let f = MobilisationForces([.microGridWorker: 1, .partyMember: 2, .buildingLeader: 3, .volunteer: 1, .doctor: 2, .nurse: 1])
        #expect(f.total == 7 && f.workers == 1 && f[.doctor] == 0)
    }
}
