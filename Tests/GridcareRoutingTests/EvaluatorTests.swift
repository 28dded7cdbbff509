import Testing

@testable import GridcareRouting

@Suite struct EvaluatorTests {
    static let names = ["C1_10_1", "C2_10_4", "R1_10_1", "R2_10_3", "RC1_10_5", "RC2_10_8"]

    /// VRPTW files print the DIMACS cost (one decimal); our integer cost is that ×10.
    @Test(arguments: names)
    func reproducesVRPTWBestKnown(name: String) throws {
        let inst = try VRPLIBReader.read(path: TestData.path("VRPTW", name, "vrp"))
        let sol = try SolutionFile.read(path: TestData.path("VRPTW", name, "sol"))
        let ev = Evaluator.evaluate(inst, routes: sol.routes)
        #expect(ev.violations == [])
        #expect(ev.skippedCount == 0)
        #expect(ev.cost == Int((sol.cost! * 10).rounded()))
    }

    /// PCVRPTW files print the scaled integer: Σ floor(10·d) + 10·Σ skipped prizes.
    @Test(arguments: names)
    func reproducesPCVRPTWBestKnown(name: String) throws {
        let inst = try VRPLIBReader.read(path: TestData.path("PCVRPTW", name, "vrp"))
        let sol = try SolutionFile.read(path: TestData.path("PCVRPTW", name, "sol"))
        let ev = Evaluator.evaluate(inst, routes: sol.routes)
        #expect(ev.violations == [])
        #expect(ev.cost == Int(sol.cost!))
    }

    @Test func reportsViolations() {
        // depot (0,0) window [0,100]; client 1 at (10,0) window [0,5]: arrival at 10 is late.
        let inst = Instance.euclidean(
            depot: Depot(x: 0, y: 0, earliest: 0, latest: 100),
            clients: [
                Client(x: 10, y: 0, demand: 5, earliest: 0, latest: 5),
                Client(x: 0, y: 10, demand: 8, earliest: 0, latest: 100),
            ],
            vehicleCount: 1,
            capacity: 10
        )
        let ev = Evaluator.evaluate(inst, routes: [[1, 2]])
        #expect(ev.distance == 10 + 14 + 10)
        #expect(ev.violations.contains { $0.contains("after latest") })
        #expect(ev.violations.contains { $0.contains("exceeds capacity") })
        let ev2 = Evaluator.evaluate(inst, routes: [[2], [2]])
        #expect(ev2.violations.contains { $0.contains("more than once") })
        #expect(ev2.violations.contains { $0.contains("routes exceed") })
        #expect(ev2.violations.contains { $0.contains("required client 1") })
    }

    @Test func waitingAndMinimalDuration() {
        // client at distance 10 opens at 50: leave late, wait nothing -> duration 20 + service 5.
        let inst = Instance.euclidean(
            depot: Depot(x: 0, y: 0, earliest: 0, latest: 200),
            clients: [Client(x: 10, y: 0, serviceDuration: 5, earliest: 50, latest: 60)],
            vehicleCount: 1,
            capacity: 10,
            maxRouteDuration: 25
        )
        #expect(Evaluator.evaluate(inst, routes: [[1]]).isFeasible)
        var tighter = inst
        tighter.maxRouteDuration = 24
        #expect(!Evaluator.evaluate(tighter, routes: [[1]]).isFeasible)
    }
}
