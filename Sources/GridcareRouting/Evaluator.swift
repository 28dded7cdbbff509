/// The one evaluator used for reporting. It is a plain forward simulation, deliberately
/// independent of the solver's segment algebra so each checks the other in tests.
///
/// cost = Σ route distances + Σ prizes of skipped optional clients (integer, scaled units).
/// Feasibility: each client at most once, required clients visited, load ≤ capacity,
/// service starts within [earliest, latest] (waiting allowed), return to depot by its latest,
/// route count ≤ vehicles, minimal route duration ≤ maxRouteDuration.
public struct Evaluation: Sendable, Equatable {
    public var distance: Int
    public var skippedPrize: Int
    public var cost: Int
    public var routeCount: Int
    public var skippedCount: Int
    public var violations: [String]
    public var isFeasible: Bool { violations.isEmpty }
}

public enum Evaluator {
    public static func evaluate(_ inst: Instance, routes: [[Int]]) -> Evaluation {
        let n = inst.nodeCount
        var seen = [Bool](repeating: false, count: n)
        var violations: [String] = []
        var distance = 0
        var routeCount = 0
        for (ri, route) in routes.enumerated() where !route.isEmpty {
            routeCount += 1
            var load = 0
            var prev = 0
            var t = inst.depot.earliest
            let start = t
            var waitSoFar = 0
            var postpone = Int.max  // how far the departure can be delayed without lateness
            var ok = true
            for c in route {
                guard c >= 1 && c < n else {
                    violations.append("route \(ri + 1): invalid client \(c)")
                    ok = false
                    break
                }
                if seen[c] { violations.append("client \(c) visited more than once") }
                seen[c] = true
                let cl = inst.clients[c - 1]
                load += cl.demand
                let d = inst.distance(prev, c)
                distance += d
                let arrive = t + d
                let begin = max(arrive, cl.earliest)
                waitSoFar += begin - arrive
                if begin > cl.latest {
                    violations.append("route \(ri + 1): client \(c) starts at \(begin) after latest \(cl.latest)")
                }
                postpone = min(postpone, waitSoFar + cl.latest - begin)
                t = begin + cl.serviceDuration
                prev = c
            }
            if !ok { continue }
            let back = inst.distance(prev, 0)
            distance += back
            let end = t + back
            if end > inst.depot.latest {
                violations.append("route \(ri + 1): returns at \(end) after depot latest \(inst.depot.latest)")
            }
            postpone = min(postpone, waitSoFar + inst.depot.latest - end)
            if load > inst.capacity {
                violations.append("route \(ri + 1): load \(load) exceeds capacity \(inst.capacity)")
            }
            if let maxD = inst.maxRouteDuration {
                let dur = end - start - max(0, min(waitSoFar, postpone))
                if dur > maxD { violations.append("route \(ri + 1): duration \(dur) exceeds \(maxD)") }
            }
        }
        if routeCount > inst.vehicleCount {
            violations.append("\(routeCount) routes exceed \(inst.vehicleCount) vehicles")
        }
        var skippedPrize = 0
        var skipped = 0
        for c in 1..<n where !seen[c] {
            skipped += 1
            let cl = inst.clients[c - 1]
            if cl.required { violations.append("required client \(c) not visited") } else { skippedPrize += cl.prize }
        }
        return Evaluation(
            distance: distance,
            skippedPrize: skippedPrize,
            cost: distance + skippedPrize,
            routeCount: routeCount,
            skippedCount: skipped,
            violations: violations
        )
    }
}
