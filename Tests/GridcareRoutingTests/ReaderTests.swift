import Foundation
import Testing

@testable import GridcareRouting

@Suite struct ReaderTests {
    @Test func parsesRealPCVRPTW() throws {
        let inst = try VRPLIBReader.read(path: TestData.path("PCVRPTW", "C1_10_1", "vrp"))
        #expect(inst.name == "C1_10_1")
        #expect(inst.clients.count == 1000)
        #expect(inst.vehicleCount == 100)
        #expect(inst.capacity == 200)
        #expect(inst.costScale == 10)
        #expect(inst.depot.earliest == 0 && inst.depot.latest == 18240)
        let c1 = inst.clients[0]  // VRPLIB node 2: "2 387 297", window 200 270, prize 21
        #expect(c1.x == 387 && c1.y == 297)
        #expect(c1.earliest == 2000 && c1.latest == 2700)
        #expect(c1.serviceDuration == 900)
        #expect(c1.prize == 210)
        #expect(!c1.required)
        // floor(10 * dist((250,250),(387,297))) = floor(10 * 144.837...) = 1448
        #expect(inst.distance(0, 1) == 1448)
    }

    @Test func vrptwClientsAreRequired() throws {
        let inst = try VRPLIBReader.read(path: TestData.path("VRPTW", "R1_10_1", "vrp"))
        #expect(inst.vehicleCount == 250)
        #expect(inst.clients.allSatisfy { $0.required })
    }

    /// As PyVRP reads the same files: with a PRIZE_SECTION, prize 0 marks a required client.
    @Test func zeroPrizeMeansRequired() throws {
        let text = """
            NAME : prizes
            TYPE : PCVRPTW
            DIMENSION : 4
            VEHICLES : 1
            EDGE_WEIGHT_TYPE : EUC_2D
            NODE_COORD_SECTION
            1 0 0
            2 1 0
            3 2 0
            4 3 0
            TIME_WINDOW_SECTION
            1 480 1050
            2 480 700
            3 810 1000
            4 480 1000
            SERVICE_TIME_SECTION
            1 0
            2 30
            3 45
            4 30
            PRIZE_SECTION
            1 0
            2 150
            3 0
            4 2000
            DEPOT_SECTION
            1
            -1
            EOF
            """
        let inst = try VRPLIBReader.parse(text)
        #expect(inst.clients.map(\.required) == [false, true, false])
        #expect(inst.clients.map(\.prize) == [1500, 0, 20000])
        #expect(inst.clients[1].serviceDuration == 450 && inst.clients[1].earliest == 8100)
        #expect(inst.depot.earliest == 4800 && inst.depot.latest == 10500)
    }

    @Test func explicitMatrixAndServiceSection() throws {
        let text = """
            NAME : tiny
            TYPE : VRPTW
            DIMENSION : 3
            VEHICLES : 2
            CAPACITY : 10
            EDGE_WEIGHT_TYPE : EXPLICIT
            EDGE_WEIGHT_FORMAT : FULL_MATRIX
            EDGE_WEIGHT_SECTION
            0 1.5 2
            1.5 0 3
            2 3 0
            DEMAND_SECTION
            1 0
            2 4
            3 5
            TIME_WINDOW_SECTION
            1 0 100
            2 0 50
            3 10 60
            SERVICE_TIME_SECTION
            1 0
            2 2
            3 3
            DEPOT_SECTION
            1
            -1
            EOF
            """
        let inst = try VRPLIBReader.parse(text)
        #expect(inst.distance(0, 1) == 15 && inst.distance(1, 2) == 30)
        #expect(inst.clients[1].serviceDuration == 30 && inst.clients[1].earliest == 100)
        #expect(inst.clients[0].demand == 4)
    }

    @Test func errorsNameTheLine() {
        let text = "NAME : bad\nTYPE : VRPTW\nDIMENSION : 2\nNODE_COORD_SECTION\n1 0 0\n2 x 5\nEOF\n"
        do {
            _ = try VRPLIBReader.parse(text)
            Issue.record("expected a parse error")
        } catch let e as VRPLIBReader.ParseError {
            #expect(e.line == 6)
            #expect(e.description.hasPrefix("line 6:"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func rejectsUnknownType() {
        #expect(throws: VRPLIBReader.ParseError.self) { try VRPLIBReader.parse("TYPE : TSP\nDIMENSION : 2\n") }
    }

    @Test func solutionFileRoundTrip() throws {
        let inst = randomInstance(clients: 6, seed: 3, optional: false)
        let text = SolutionFile.format(routes: [[1, 2], [3], [4, 5, 6]], cost: 12345, instance: inst)
        let back = try SolutionFile.parse(text)
        #expect(back.routes == [[1, 2], [3], [4, 5, 6]])
        #expect(back.cost == 12345)
        let crlf = try SolutionFile.parse("Route #1: 1 2 \r\nCost: 77\r\n")
        #expect(crlf.routes == [[1, 2]] && crlf.cost == 77)
    }
}

/// Solving belongs with the serialized solver tests (each one keeps a core busy).
extension SolverTests {
    /// The demo-like generator's files (bench/rounds/demo_like.py) load and solve feasibly with required visits served.
    @Test func demoLikeInstanceSolves() async throws {
        let inst = try VRPLIBReader.read(path: TestData.path("demo-like", "demo-100-s1", "vrp"))
        #expect(inst.clients.count == 100 && inst.vehicleCount == 15)
        #expect(inst.clients.contains { $0.required })
        let solver = Solver(instance: inst, options: SolverOptions(timeLimit: .seconds(30), seed: 3, maxIterations: 2000))
        let sol = await offThePool { solver.solve() }
        let ev = Evaluator.evaluate(inst, routes: sol.routes)
        #expect(ev.violations == [])
    }
}
