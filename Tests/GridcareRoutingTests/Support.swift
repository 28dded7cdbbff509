import Foundation

@testable import GridcareRouting

enum TestData {
    /// A few Gehring–Homberger instances with their best-known solutions, kept beside the tests (MIT, see Fixtures/LICENSE).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static func path(_ set: String, _ name: String, _ ext: String) -> String { "\(root)/\(set)/\(name).\(ext)" }
}

/// Random clustered instance with time windows; deterministic for a seed.
func randomInstance(
    clients n: Int,
    seed: UInt64,
    optional: Bool,
    vehicles: Int = 10,
    capacity: Int = 60,
    horizon: Int = 1000,
    maxDuration: Int? = nil
) -> Instance {
    var rng = Xoshiro256(seed: seed)
    var clients: [Client] = []
    for _ in 0..<n {
        let x = Double(rng.int(200))
        let y = Double(rng.int(200))
        let dx = x - 100
        let dy = y - 100
        let fromDepot = Int((dx * dx + dy * dy).squareRoot())
        let e = fromDepot + rng.int(max(1, horizon - 2 * fromDepot - 20))
        let width = 60 + rng.int(200)
        clients.append(
            Client(
                x: x,
                y: y,
                demand: 1 + rng.int(10),
                serviceDuration: 10,
                earliest: e,
                latest: min(e + width, horizon - fromDepot - 10),
                prize: optional ? 20 + rng.int(150) : 0,
                required: !optional
            )
        )
    }
    return Instance.euclidean(
        name: "rand\(n)-\(seed)",
        depot: Depot(x: 100, y: 100, earliest: 0, latest: horizon),
        clients: clients,
        vehicleCount: vehicles,
        capacity: capacity,
        maxRouteDuration: maxDuration
    )
}

/// Exact optimum by enumeration (tiny instances only): every subset of visited clients (all clients
/// when required), every order, every split into routes.
func bruteForceOptimum(_ inst: Instance) -> Int {
    let n = inst.clients.count
    var best = Int.max
    func permutations(_ a: [Int]) -> [[Int]] {
        if a.count <= 1 { return [a] }
        var out: [[Int]] = []
        for (i, x) in a.enumerated() {
            var rest = a
            rest.remove(at: i)
            for p in permutations(rest) { out.append([x] + p) }
        }
        return out
    }
    for mask in 0..<(1 << n) {
        let chosen = (0..<n).filter { mask & (1 << $0) != 0 }.map { $0 + 1 }
        if (1...n).contains(where: { inst.clients[$0 - 1].required && !chosen.contains($0) }) { continue }
        if chosen.isEmpty {
            best = min(best, Evaluator.evaluate(inst, routes: []).cost)
            continue
        }
        for perm in permutations(chosen) {
            for cuts in 0..<(1 << (perm.count - 1)) {
                var routes: [[Int]] = [[perm[0]]]
                for i in 1..<perm.count {
                    if cuts & (1 << (i - 1)) != 0 { routes.append([perm[i]]) } else { routes[routes.count - 1].append(perm[i]) }
                }
                let ev = Evaluator.evaluate(inst, routes: routes)
                if ev.isFeasible { best = min(best, ev.cost) }
            }
        }
    }
    return best
}
