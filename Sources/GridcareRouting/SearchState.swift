/// Flattened, read-only view of an `Instance` for the hot loops (contiguous arrays, node 0 = depot).
struct Problem {
    let n: Int
    let dist: [Int32]
    let nodeSeg: [Seg]
    let demand: [Int]
    let prize: [Int]
    let required: [Bool]
    let capacity: Int
    let maxDuration: Int
    let vehicles: Int
    /// For each client, other clients sorted by increasing distance (first `neighborCount`).
    let neighbors: [[Int32]]
    let farFromDepot: [Int32]

    /// Penalty per unvisited required client (dominates any distance).
    static let bigM = 1_000_000_000

    init(_ inst: Instance, neighborCount: Int = 100) {
        n = inst.nodeCount
        dist = inst.matrix
        var segs = [Seg(duration: 0, timeWarp: 0, early: inst.depot.earliest, late: inst.depot.latest, load: 0)]
        var dem = [0]
        var pr = [0]
        var req = [false]
        for c in inst.clients {
            segs.append(Seg(duration: c.serviceDuration, timeWarp: 0, early: c.earliest, late: c.latest, load: c.demand))
            dem.append(c.demand)
            pr.append(c.prize)
            req.append(c.required)
        }
        nodeSeg = segs
        demand = dem
        prize = pr
        required = req
        capacity = inst.capacity
        maxDuration = inst.maxRouteDuration ?? Int(Int32.max) * 4
        vehicles = inst.vehicleCount
        let k = min(neighborCount, n - 2)
        var nb: [[Int32]] = [[]]
        let nn = n
        let m = inst.matrix
        for i in 1..<n {
            var cand = Array(1..<nn).filter { $0 != i }
            // symmetric-ish proximity: min of both directions, ties by index for determinism
            cand.sort { a, b in
                let da = min(m[i * nn + a], m[a * nn + i])
                let db = min(m[i * nn + b], m[b * nn + i])
                return da != db ? da < db : a < b
            }
            nb.append(cand.prefix(max(k, 0)).map { Int32($0) })
        }
        neighbors = nb
        farFromDepot = (1..<n).sorted { a, b in
            let da = m[a]
            let db = m[b]
            return da != db ? da > db : a < b
        }.map { Int32($0) }
    }

    @inline(__always) func d(_ i: Int, _ j: Int) -> Int { Int(dist[i &* n &+ j]) }
}

/// One route: `nodes` holds the depot (0) at both ends; `fwd[i]` summarises nodes[0...i],
/// `bwd[i]` summarises nodes[i...]. `distance` is the route's total distance.
struct RouteData {
    var nodes: [Int32] = [0, 0]
    var fwd: [Seg] = []
    var bwd: [Seg] = []
    var distance: Int = 0
    var clientCount: Int { nodes.count - 2 }
}

/// A complete search state. Value semantics: copying is cheap (copy-on-write arrays), so
/// "try a ruin-and-recreate on a copy, keep it if accepted" only copies the routes it touches.
struct State {
    var routes: [RouteData] = []
    var routeOf: [Int32]
    var posOf: [Int32]
    var distance = 0
    var skippedPrize = 0
    var skippedRequired = 0
    var visitedCount = 0

    var cost: Int { distance + skippedPrize + skippedRequired * Problem.bigM }

    init(_ p: Problem) {
        routeOf = .init(repeating: -1, count: p.n)
        posOf = .init(repeating: -1, count: p.n)
        for c in 1..<p.n {
            if p.required[c] { skippedRequired += 1 } else { skippedPrize += p.prize[c] }
        }
    }

    /// Rebuilds segment data, distance and positions of route `r` from its `nodes`.
    mutating func recompute(_ r: Int, _ p: Problem) {
        var f: [Seg] = []
        var b: [Seg] = []
        swap(&f, &routes[r].fwd)
        swap(&b, &routes[r].bwd)
        let nodes = routes[r].nodes
        let m = nodes.count
        f.removeAll(keepingCapacity: true)
        b.removeAll(keepingCapacity: true)
        f.reserveCapacity(m)
        b.reserveCapacity(m)
        var seg = p.nodeSeg[0]
        f.append(seg)
        var dist = 0
        for i in 1..<m {
            let prev = Int(nodes[i - 1])
            let cur = Int(nodes[i])
            let t = p.d(prev, cur)
            dist += t
            seg = Seg.merge(seg, p.nodeSeg[cur], t)
            f.append(seg)
            if i < m - 1 {
                posOf[cur] = Int32(i)
                routeOf[cur] = Int32(r)
            }
        }
        // backward, built in reverse then flipped
        seg = p.nodeSeg[0]
        b.append(seg)
        var i = m - 2
        while i >= 0 {
            let cur = Int(nodes[i])
            let nxt = Int(nodes[i + 1])
            seg = Seg.merge(p.nodeSeg[cur], seg, p.d(cur, nxt))
            b.append(seg)
            i -= 1
        }
        b.reverse()
        swap(&f, &routes[r].fwd)
        swap(&b, &routes[r].bwd)
        distance += dist - routes[r].distance
        routes[r].distance = dist
    }

    @inline(__always) func isFeasible(_ s: Seg, _ p: Problem) -> Bool {
        s.timeWarp == 0 && s.load <= p.capacity && s.duration <= p.maxDuration
    }

    /// Inserts client `c` after position `pos` of route `r` (pos = index in nodes, 0 = after depot).
    mutating func insert(_ c: Int, route r: Int, after pos: Int, _ p: Problem) {
        routes[r].nodes.insert(Int32(c), at: pos + 1)
        markVisited(c, p)
        recompute(r, p)
    }

    mutating func insertNewRoute(_ c: Int, _ p: Problem) {
        routes.append(RouteData(nodes: [0, Int32(c), 0]))
        markVisited(c, p)
        recompute(routes.count - 1, p)
    }

    @inline(__always) mutating func markVisited(_ c: Int, _ p: Problem) {
        visitedCount += 1
        if p.required[c] { skippedRequired -= 1 } else { skippedPrize -= p.prize[c] }
    }

    @inline(__always) mutating func markSkipped(_ c: Int, _ p: Problem) {
        visitedCount -= 1
        routeOf[c] = -1
        posOf[c] = -1
        if p.required[c] { skippedRequired += 1 } else { skippedPrize += p.prize[c] }
    }

    /// Removes empty routes (swap-remove), fixing `routeOf` of the moved route.
    mutating func dropEmptyRoutes(_ p: Problem) {
        var r = 0
        while r < routes.count {
            if routes[r].clientCount == 0 {
                distance -= routes[r].distance
                let last = routes.count - 1
                if r != last {
                    routes.swapAt(r, last)
                    for c in routes[r].nodes where c != 0 { routeOf[Int(c)] = Int32(r) }
                }
                routes.removeLast()
            } else {
                r += 1
            }
        }
    }

    /// Cost change of inserting `c` between nodes[pos] and nodes[pos+1] of route r, or nil if infeasible.
    @inline(__always) func insertionDelta(_ c: Int, route r: Int, after pos: Int, _ p: Problem) -> Int? {
        let u = Int(routes[r].nodes[pos])
        let v = Int(routes[r].nodes[pos + 1])
        let duc = p.d(u, c)
        let dcv = p.d(c, v)
        let s1 = Seg.merge(routes[r].fwd[pos], p.nodeSeg[c], duc)
        if s1.timeWarp != 0 { return nil }
        let s = Seg.merge(s1, routes[r].bwd[pos + 1], dcv)
        guard isFeasible(s, p) else { return nil }
        return duc + dcv - p.d(u, v)
    }

    func exportRoutes() -> [[Int]] {
        routes.filter { $0.clientCount > 0 }.map { $0.nodes.dropFirst().dropLast().map { Int($0) } }
    }
}
