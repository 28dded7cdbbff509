import Testing

@testable import GridcareRouting

/// One solve at a time: each keeps a thread of Swift's small cooperative pool busy, and the API's deadline
/// tests running beside them need one free.
@Suite(.serialized) struct SolverTests {
    static func quick(_ inst: Instance, seed: UInt64 = 7, iterations: Int = 3000) async -> Solution {
        let solver = Solver(instance: inst, options: SolverOptions(timeLimit: .seconds(60), seed: seed, maxIterations: iterations))
        return await offThePool { solver.solve() }
    }

    @Test(arguments: [(1 as UInt64, false), (2, true), (3, false), (4, true)])
    func resultIsFeasibleAndConsistent(seed: UInt64, optional: Bool) async {
        let inst = randomInstance(clients: 60, seed: seed, optional: optional, vehicles: 8, capacity: 50, maxDuration: 700)
        let sol = await Self.quick(inst, seed: seed)
        let ev = Evaluator.evaluate(inst, routes: sol.routes)
        #expect(ev.violations == [])
        #expect(sol.isFeasible)
        #expect(sol.cost == ev.cost)
        #expect(sol.skipped.count == ev.skippedCount)
        if !optional { #expect(sol.skipped.isEmpty) }
    }

    @Test(arguments: [false, true])
    func beatsTrivialConstruction(optional: Bool) async {
        let inst = randomInstance(clients: 80, seed: 11, optional: optional, vehicles: 12, capacity: 50)
        let solver = Solver(instance: inst, options: SolverOptions(timeLimit: .seconds(60), seed: 5, maxIterations: 3000))
        let base = solver.construct()
        let sol = await offThePool { solver.solve() }
        #expect(base.isFeasible && sol.isFeasible)
        #expect(sol.cost < base.cost)
    }

    @Test func deterministicForFixedSeed() async {
        let inst = randomInstance(clients: 50, seed: 21, optional: true, vehicles: 6)
        let a = await Self.quick(inst, seed: 99, iterations: 1500)
        let b = await Self.quick(inst, seed: 99, iterations: 1500)
        #expect(a.routes == b.routes)
        #expect(a.cost == b.cost)
    }

    /// Five clients on a line at x = 10, 20 (left) and x = -10, -20, -30 (right), capacity 2 visits'
    /// worth: optimum is two out-and-back routes, cost 2·20 + 2·30 = 100.
    @Test func handMadeOptimum() async {
        let clients = [10.0, 20, -10, -20, -30].map { Client(x: $0, y: 0, demand: 1) }
        let inst = Instance.euclidean(depot: Depot(x: 0, y: 0), clients: clients, vehicleCount: 3, capacity: 3)
        let sol = await Self.quick(inst, iterations: 500)
        #expect(sol.cost == 100)
        #expect(sol.isFeasible)
    }

    /// Random tiny instances (time windows, capacity, prizes): the solver finds the exact optimum.
    @Test(arguments: [(31 as UInt64, false), (32, true), (33, true), (34, false), (35, true)])
    func findsBruteForceOptimum(seed: UInt64, optional: Bool) async {
        let inst = randomInstance(clients: 5, seed: seed, optional: optional, vehicles: 3, capacity: 12, horizon: 600)
        let opt = bruteForceOptimum(inst)
        let sol = await Self.quick(inst, seed: seed, iterations: 2000)
        #expect(sol.cost == opt)
    }

    @Test func skipsFarClientWithTinyPrizeButVisitsRequired() async {
        var clients = [
            Client(x: 10, y: 0, demand: 1, prize: 100, required: false),
            Client(x: 12, y: 3, demand: 1, prize: 100, required: false),
            Client(x: 500, y: 500, demand: 1, prize: 1, required: false),
        ]
        let inst = Instance.euclidean(depot: Depot(x: 0, y: 0), clients: clients, vehicleCount: 2, capacity: 10)
        let sol = await Self.quick(inst, iterations: 300)
        #expect(sol.skipped == [3])
        #expect(sol.isFeasible)

        clients[2].required = true
        let inst2 = Instance.euclidean(depot: Depot(x: 0, y: 0), clients: clients, vehicleCount: 2, capacity: 10)
        let sol2 = await Self.quick(inst2, iterations: 300)
        #expect(sol2.skipped.isEmpty)
        #expect(sol2.routes.contains { $0.contains(3) })
        #expect(sol2.isFeasible)
    }

    @Test func reportsInfeasibleWhenRequiredClientCannotBeServed() async {
        // window closes before the client can be reached
        let clients = [Client(x: 100, y: 0, demand: 1, earliest: 0, latest: 5)]
        let inst = Instance.euclidean(depot: Depot(x: 0, y: 0, earliest: 0, latest: 1000), clients: clients, vehicleCount: 1, capacity: 10)
        let sol = await Self.quick(inst, iterations: 50)
        #expect(!sol.isFeasible)
        #expect(sol.skipped == [1])
    }

    @Test func realInstanceShortRunIsFeasible() async throws {
        let inst = try VRPLIBReader.read(path: TestData.path("PCVRPTW", "RC2_10_1", "vrp"))
        let sol = await Self.quick(inst, iterations: 300)
        #expect(Evaluator.evaluate(inst, routes: sol.routes).violations == [])
    }
}
