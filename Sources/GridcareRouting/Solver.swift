import Foundation

public struct SolverOptions: Sendable {
    public var timeLimit: Duration
    public var seed: UInt64
    /// When set, the run is bounded by this many ruin-and-recreate iterations as well, and the
    /// annealing schedule follows iterations instead of the clock: results are then reproducible
    /// for a fixed seed whatever the machine speed (as long as the time limit is not hit first).
    public var maxIterations: Int?
    /// Start/end temperature as fractions of the average edge length of the first solution.
    public var startTemperature: Double
    public var endTemperature: Double
    /// Run the granular local search on each recreated candidate (and on the first solution).
    public var localSearch: Bool
    /// Neighbours per client examined by the local search.
    public var localSearchNeighbors: Int
    /// Include the intra-route moves (relocate next to a neighbour, 2-opt) in the local search.
    public var intraRouteMoves: Bool
    /// Polled every few iterations: once raised, the solve stops and returns the best solution so far
    /// (how a cancelled request stops its solve; see `offThePool(_:)`).
    public var stop: StopFlag?

    public init(
        timeLimit: Duration = .seconds(10),
        seed: UInt64 = 1,
        maxIterations: Int? = nil,
        startTemperature: Double = 0.1,
        endTemperature: Double = 0.005,
        localSearch: Bool = true,
        localSearchNeighbors: Int = 20,
        intraRouteMoves: Bool = true,
        stop: StopFlag? = nil
    ) {
        self.intraRouteMoves = intraRouteMoves
        self.stop = stop
        self.localSearch = localSearch
        self.localSearchNeighbors = localSearchNeighbors
        self.timeLimit = timeLimit
        self.seed = seed
        self.maxIterations = maxIterations
        self.startTemperature = startTemperature
        self.endTemperature = endTemperature
    }
}

/// Single-threaded ruin-and-recreate (SISR) with simulated-annealing acceptance, followed by
/// the granular local search on improving solutions.
public struct Solver: Sendable {
    public let instance: Instance
    public let options: SolverOptions

    public init(instance: Instance, options: SolverOptions = SolverOptions()) {
        self.instance = instance
        self.options = options
    }

    /// The trivial construction alone (greedy cheapest insertion, far clients first). Used as a baseline.
    public func construct() -> Solution {
        let p = Problem(instance)
        var rng = Xoshiro256(seed: options.seed)
        let st = initial(p, &rng)
        return finish(st, iterations: 0)
    }

    func initial(_ p: Problem, _ rng: inout Xoshiro256) -> State {
        var prm = RuinParameters()
        prm.blinkRate = 0
        let optional = p.required.dropFirst().contains(false)
        // (sort mode, prize factor): far-first suits required clients; with optional clients,
        // growing routes outward from the depot (close-first) also builds profitable long routes,
        // and "visit all then prune" keeps clusters that only pay off together.
        let variants: [(Int, Double)] = optional ? [(2, 1e12), (3, 1), (3, 1.5), (3, 2.5), (1, 1e12), (4, 1)] : [(2, 1)]
        var best: State? = nil
        for (mode, factor) in variants {
            var st = State(p)
            var ws = Workspace(p)
            ws.candidates = mode == 3 ? p.farFromDepot.reversed().map { Int($0) } : p.farFromDepot.map { Int($0) }
            st.recreate(p, prm, &rng, &ws, prizeFactor: factor, sortMode: mode)
            if optional { st.removeUnprofitable(p) }
            if ProcessInfo.processInfo.environment["VRP_DEBUG"] != nil {
                print("construct mode \(mode) factor \(factor): cost \(st.cost) routes \(st.routes.count) visited \(st.visitedCount)")
            }
            if best == nil || st.cost < best!.cost { best = st }
        }
        if optional {
            // sequential route growth from far seeds, with a few prize factors
            for factor in [1.0, 1.5] {
                var st = State(p)
                var ws = Workspace(p)
                var order = p.farFromDepot.map { Int($0) }
                var k = 0
                var attempts = 0
                while st.routes.count < p.vehicles && k < order.count && attempts < 3 * p.vehicles + 10 {
                    let c = order[k]
                    k += 1
                    if st.routeOf[c] >= 0 { continue }
                    attempts += 1
                    st.growRoute(seed: c, p, &ws, prizeFactor: factor)
                    st.removeUnprofitable(p)
                }
                // fill remaining capacity greedily
                ws.candidates = (1..<p.n).filter { st.routeOf[$0] < 0 }
                st.recreate(p, prm, &rng, &ws, prizeFactor: 1, sortMode: 0)
                st.removeUnprofitable(p)
                order.removeAll()
                if ProcessInfo.processInfo.environment["VRP_DEBUG"] != nil {
                    print("grow factor \(factor): cost \(st.cost) routes \(st.routes.count) visited \(st.visitedCount)")
                }
                if st.cost < best!.cost { best = st }
            }
        }
        return best!
    }

    public func solve() -> Solution {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + options.timeLimit
        let p = Problem(instance)
        var rng = Xoshiro256(seed: options.seed)
        let prm = RuinParameters()
        var ws = Workspace(p)
        var current = initial(p, &rng)
        if options.stop?.isRaised == true { return finish(current, iterations: 0) }
        if options.localSearch {
            current.localSearch(
                p,
                clients: (1..<p.n).filter { current.routeOf[$0] >= 0 },
                neighbors: options.localSearchNeighbors,
                &ws,
                intraRoute: options.intraRouteMoves
            )
        }
        let hasOptional = p.required.dropFirst().contains(false)
        var best = current
        let edges = max(1, current.visitedCount + current.routes.count)
        let avgEdge = max(1.0, Double(current.distance) / Double(edges))
        let t0 = options.startTemperature * avgEdge
        let tf = options.endTemperature * avgEdge
        let limitSeconds = Double(options.timeLimit.components.seconds) + Double(options.timeLimit.components.attoseconds) * 1e-18
        var iter = 0
        var progress = 0.0
        while true {
            if iter & 15 == 0, options.stop?.isRaised == true { break }
            if let mi = options.maxIterations {
                if iter >= mi { break }
                progress = Double(iter) / Double(mi)
                if iter & 63 == 0 && clock.now >= deadline { break }
            } else if iter & 15 == 0 {
                let now = clock.now
                if now >= deadline { break }
                let el = now - start
                progress = (Double(el.components.seconds) + Double(el.components.attoseconds) * 1e-18) / max(limitSeconds, 1e-9)
            }
            iter += 1
            let temp = t0 * pow(tf / t0, progress)
            var cand = current
            var priority: [Int] = []
            if cand.skippedRequired > 0 {
                // unserved required clients are offered again, first, and half of the time the ruin
                // is centred on one of them to make room
                for c in 1..<p.n where p.required[c] && cand.routeOf[c] < 0 { priority.append(c) }
                let target = priority[rng.int(priority.count)]
                let seed = rng.unit() < 0.5 ? p.neighbors[target].first(where: { cand.routeOf[Int($0)] >= 0 }).map { Int($0) } : nil
                cand.ruin(p, prm, &rng, &ws, seed: seed)
            } else {
                cand.ruin(p, prm, &rng, &ws)
            }
            var factor = 1.0
            if hasOptional {
                cand.addNearbySkipped(p, prm, &ws)
                if rng.unit() < 0.3 { cand.addRandomSkipped(p, &rng, &ws, count: 10) }
                if rng.unit() < 0.3 { factor = 1.0 + 2.0 * rng.unit() }
            }
            cand.recreate(
                p,
                prm,
                &rng,
                &ws,
                prizeFactor: factor,
                sortMode: hasOptional && rng.unit() < 0.3 ? 4 : nil,
                priority: priority
            )
            if hasOptional && cand.routes.count < p.vehicles && cand.visitedCount < p.n - 1 && rng.unit() < 0.02 {
                var seed = 1 + rng.int(p.n - 1)
                while cand.routeOf[seed] >= 0 { seed = 1 + rng.int(p.n - 1) }
                cand.growRoute(seed: seed, p, &ws, prizeFactor: 1.0 + rng.unit())
            }
            if hasOptional { cand.removeUnprofitable(p) }
            if options.localSearch {
                let tag = ws.nextStamp()
                var start: [Int] = []
                for c in ws.candidates + priority {
                    let r = Int(cand.routeOf[c])
                    if r < 0 || ws.stamp[c] == tag { continue }  // c's route already queued
                    for v in cand.routes[r].nodes where v != 0 && ws.stamp[Int(v)] != tag {
                        ws.stamp[Int(v)] = tag
                        start.append(Int(v))
                    }
                }
                cand.localSearch(
                    p,
                    clients: start,
                    neighbors: options.localSearchNeighbors,
                    &ws,
                    intraRoute: options.intraRouteMoves
                )
            }
            let threshold = Double(current.cost) - temp * log(max(rng.unit(), 1e-300))
            if Double(cand.cost) < threshold {
                current = cand
                if current.cost < best.cost { best = current }
            }
        }
        return finish(best, iterations: iter)
    }

    func finish(_ st: State, iterations: Int) -> Solution {
        let routes = st.exportRoutes()
        let ev = Evaluator.evaluate(instance, routes: routes)
        var visited = [Bool](repeating: false, count: instance.nodeCount)
        for r in routes { for c in r { visited[c] = true } }
        let skipped = (1..<instance.nodeCount).filter { !visited[$0] }
        return Solution(routes: routes, cost: ev.cost, isFeasible: ev.isFeasible, skipped: skipped, iterations: iterations)
    }
}
