/// SISR: slack induction by string removals (Christiaens & Vanden Berghe 2020), adapted to
/// prize collecting: removed clients plus nearby skipped clients are offered for reinsertion, and a
/// client is only (re)inserted if its cheapest insertion costs less than its prize (or it is required).
struct RuinParameters {
    var averageRemoved = 10.0  // c̄
    var maxStringLength = 10.0  // L_max
    var splitRate = 0.5
    var splitDepth = 0.5  // probability to keep growing the preserved part
    var blinkRate = 0.01
    var insertionNeighbors = 40
    var skippedNeighbors = 8  // skipped neighbours of a removed client that are re-offered
}

struct Workspace {
    var candidates: [Int] = []
    var keys: [Int] = []
    var stamp: [Int32]
    var routeStamp: [Int32] = []
    var clock: Int32 = 0

    init(_ p: Problem) { stamp = .init(repeating: 0, count: p.n) }

    mutating func nextStamp() -> Int32 {
        clock &+= 1
        if clock == Int32.max {
            clock = 1
            for i in stamp.indices { stamp[i] = 0 }
            for i in routeStamp.indices { routeStamp[i] = 0 }
        }
        return clock
    }
}

extension State {
    /// Removes strings of clients around a random seed; appends removed clients to `ws.candidates`.
    mutating func ruin(
        _ p: Problem,
        _ prm: RuinParameters,
        _ rng: inout Xoshiro256,
        _ ws: inout Workspace,
        seed fixedSeed: Int? = nil
    ) {
        ws.candidates.removeAll(keepingCapacity: true)
        guard visitedCount > 0, !routes.isEmpty else { return }
        let tag = ws.nextStamp()
        if ws.routeStamp.count < routes.count { ws.routeStamp += .init(repeating: 0, count: routes.count - ws.routeStamp.count + 8) }
        let avgCard = Double(visitedCount) / Double(routes.count)
        let lsMax = min(prm.maxStringLength, avgCard)
        let ksMax = 4.0 * prm.averageRemoved / (1.0 + lsMax) - 1.0
        let ks = Int(rng.unit() * ksMax) + 1
        // random visited seed
        var seed = fixedSeed ?? (1 + rng.int(p.n - 1))
        while routeOf[seed] < 0 { seed = 1 + rng.int(p.n - 1) }
        var ruined = 0
        var k = -1
        let nbs = p.neighbors[seed]
        while ruined < ks && k < nbs.count {
            let c = k < 0 ? seed : Int(nbs[k])
            k += 1
            let r = Int(routeOf[c])
            if r < 0 || ws.routeStamp[r] == tag { continue }
            ws.routeStamp[r] = tag
            ruined += 1
            let t = routes[r].clientCount
            let lMax = min(Double(t), lsMax)
            let l = Int(rng.unit() * lMax) + 1
            let pos = Int(posOf[c])
            if l >= t || rng.unit() >= prm.splitRate {
                // plain string of length l containing pos
                let lo = max(1, pos - l + 1)
                let hi = min(pos, t - l + 1)
                let a = lo + rng.int(hi - lo + 1)
                removeRange(r, a, a + l - 1, keepFrom: 1, keepTo: 0, p, &ws)
            } else {
                var m = 1
                while l + m < t && rng.unit() < prm.splitDepth { m += 1 }
                let len = l + m
                let lo = max(1, pos - len + 1)
                let hi = min(pos, t - len + 1)
                let a = lo + rng.int(hi - lo + 1)
                let b = a + rng.int(len - m + 1)
                removeRange(r, a, a + len - 1, keepFrom: b, keepTo: b + m - 1, p, &ws)
            }
        }
    }

    /// Removes nodes[from...to] except nodes[keepFrom...keepTo], recomputes the route.
    private mutating func removeRange(
        _ r: Int,
        _ from: Int,
        _ to: Int,
        keepFrom: Int,
        keepTo: Int,
        _ p: Problem,
        _ ws: inout Workspace
    ) {
        var nodes: [Int32] = []
        swap(&nodes, &routes[r].nodes)
        var out = 0
        for i in 0..<nodes.count {
            let removing = i >= from && i <= to && !(i >= keepFrom && i <= keepTo)
            if removing {
                let c = Int(nodes[i])
                ws.candidates.append(c)
                markSkipped(c, p)
            } else {
                nodes[out] = nodes[i]
                out += 1
            }
        }
        nodes.removeLast(nodes.count - out)
        swap(&nodes, &routes[r].nodes)
        recompute(r, p)
    }

    /// Adds skipped clients near the removed ones to the candidates (prize collecting).
    mutating func addNearbySkipped(_ p: Problem, _ prm: RuinParameters, _ ws: inout Workspace) {
        let tag = ws.nextStamp()
        for c in ws.candidates { ws.stamp[c] = tag }
        let count = ws.candidates.count
        for i in 0..<count {
            let nb = p.neighbors[ws.candidates[i]]
            for j in 0..<min(prm.skippedNeighbors, nb.count) {
                let v = Int(nb[j])
                if routeOf[v] < 0 && ws.stamp[v] != tag {
                    ws.stamp[v] = tag
                    ws.candidates.append(v)
                }
            }
        }
    }

    /// Offers a random skipped client and its skipped neighbours for insertion (prize collecting).
    mutating func addRandomSkipped(_ p: Problem, _ rng: inout Xoshiro256, _ ws: inout Workspace, count: Int) {
        guard visitedCount < p.n - 1 else { return }
        var seed = 1 + rng.int(p.n - 1)
        while routeOf[seed] >= 0 { seed = 1 + rng.int(p.n - 1) }
        let tag = ws.nextStamp()
        for c in ws.candidates { ws.stamp[c] = tag }
        if ws.stamp[seed] != tag {
            ws.stamp[seed] = tag
            ws.candidates.append(seed)
        }
        var added = 0
        for v32 in p.neighbors[seed] where added < count {
            let v = Int(v32)
            if routeOf[v] < 0 && ws.stamp[v] != tag {
                ws.stamp[v] = tag
                ws.candidates.append(v)
                added += 1
            }
        }
    }

    /// Greedy insertion with blinks of `ws.candidates` in a random SISR order.
    /// `prizeFactor` > 1 makes skipped clients look more valuable (lets a new cluster route form).
    mutating func recreate(
        _ p: Problem,
        _ prm: RuinParameters,
        _ rng: inout Xoshiro256,
        _ ws: inout Workspace,
        prizeFactor: Double = 1.0,
        sortMode: Int? = nil,
        priority: [Int] = []
    ) {
        // SISR sorting: random 4, demand 4, far 2, close 1 (mode 4 = prize, only when asked)
        var cands = ws.candidates
        let mode =
            sortMode
            ?? {
                let x = rng.int(11)
                return x < 4 ? 0 : (x < 8 ? 1 : (x < 10 ? 2 : 3))
            }()
        cands.shuffle(using: &rng)
        switch mode {
        case 1: cands.sort { p.demand[$0] > p.demand[$1] }
        case 2: cands.sort { p.d(0, $0) > p.d(0, $1) }
        case 3: cands.sort { p.d(0, $0) < p.d(0, $1) }
        case 4:
            // most valuable first (required ones before all): when the working time is what runs out,
            // the visits that get a slot should be the ones that pay most
            cands.sort { (p.required[$0] ? Int.max : p.prize[$0]) > (p.required[$1] ? Int.max : p.prize[$1]) }
        default: break
        }
        if !priority.isEmpty { cands = priority + cands }  // unserved required clients first
        let blink = prm.blinkRate
        for c in cands {
            if routeOf[c] >= 0 { continue }  // offered twice (e.g. priority and nearby-skipped)
            var bestDelta = Int.max
            var bestR = -1
            var bestP = -1
            let dem = p.demand[c]
            let nbs = p.neighbors[c]
            let kmax = min(prm.insertionNeighbors, nbs.count)
            for j in 0..<kmax {
                let v = Int(nbs[j])
                let r = Int(routeOf[v])
                if r < 0 { continue }
                if routes[r].fwd[routes[r].nodes.count - 1].load + dem > p.capacity { continue }
                let pv = Int(posOf[v])
                // before v
                if rng.unit() >= blink, let dl = insertionDelta(c, route: r, after: pv - 1, p), dl < bestDelta {
                    bestDelta = dl
                    bestR = r
                    bestP = pv - 1
                }
                if rng.unit() >= blink, let dl = insertionDelta(c, route: r, after: pv, p), dl < bestDelta {
                    bestDelta = dl
                    bestR = r
                    bestP = pv
                }
            }
            if bestR < 0 {
                // fall back to every position of every route
                for r in 0..<routes.count {
                    let cnt = routes[r].nodes.count
                    if routes[r].fwd[cnt - 1].load + dem > p.capacity { continue }
                    for pos in 0..<(cnt - 1) {
                        if let dl = insertionDelta(c, route: r, after: pos, p), dl < bestDelta {
                            bestDelta = dl
                            bestR = r
                            bestP = pos
                        }
                    }
                }
            }
            var useNew = false
            if routes.count < p.vehicles {
                let s = Seg.merge(Seg.merge(p.nodeSeg[0], p.nodeSeg[c], p.d(0, c)), p.nodeSeg[0], p.d(c, 0))
                if isFeasible(s, p) {
                    let dl = p.d(0, c) + p.d(c, 0)
                    if dl < bestDelta {
                        bestDelta = dl
                        useNew = true
                    }
                }
            }
            if bestDelta == Int.max { continue }
            if !p.required[c] && Double(bestDelta) >= Double(p.prize[c]) * prizeFactor { continue }
            if useNew { insertNewRoute(c, p) } else { insert(c, route: bestR, after: bestP, p) }
        }
        dropEmptyRoutes(p)
    }

    /// Removes optional clients whose removal saves more distance than their prize.
    mutating func removeUnprofitable(_ p: Problem) {
        var r = 0
        while r < routes.count {
            var changed = false
            var i = 1
            while i < routes[r].nodes.count - 1 {
                let c = Int(routes[r].nodes[i])
                if !p.required[c] {
                    let u = Int(routes[r].nodes[i - 1])
                    let v = Int(routes[r].nodes[i + 1])
                    let save = p.d(u, c) + p.d(c, v) - p.d(u, v)
                    if save > p.prize[c] {
                        let s = Seg.merge(routes[r].fwd[i - 1], routes[r].bwd[i + 1], p.d(u, v))
                        if isFeasible(s, p) {
                            routes[r].nodes.remove(at: i)
                            markSkipped(c, p)
                            recompute(r, p)
                            changed = true
                            continue
                        }
                    }
                }
                i += 1
            }
            _ = changed
            // whole route: drop it when its distance exceeds the prizes it collects
            var collected = 0
            var anyRequired = false
            for c in routes[r].nodes where c != 0 {
                if p.required[Int(c)] {
                    anyRequired = true
                    break
                }
                collected += p.prize[Int(c)]
            }
            if !anyRequired && routes[r].distance > collected {
                for c in routes[r].nodes where c != 0 { markSkipped(Int(c), p) }
                routes[r].nodes = [0, 0]
                recompute(r, p)
            }
            r += 1
        }
        dropEmptyRoutes(p)
    }
}
