/// Granular inter-route local search (first improvement): for a client u and each of its nearest
/// routed neighbours v in another route, try relocate u after/before v, swap u and v, and the two
/// 2-opt* tail exchanges that create the edge u→v or v→u. Every move is checked in O(1) with the
/// routes' forward/backward segments; only strictly improving feasible moves are applied.
extension State {
    mutating func localSearch(_ p: Problem, clients start: [Int], neighbors k: Int, _ ws: inout Workspace,
                              maxMoves: Int = 100_000) {
        var queue = start
        var next: [Int] = []
        var moves = 0
        while !queue.isEmpty && moves < maxMoves {
            next.removeAll(keepingCapacity: true)
            let tag = ws.nextStamp()
            for u in queue {
                if routeOf[u] < 0 { continue }
                if let (ra, rb) = improve(u, p, k) {
                    moves += 1
                    for r in [ra, rb] {
                        for c in routes[r].nodes where c != 0 && ws.stamp[Int(c)] != tag {
                            ws.stamp[Int(c)] = tag; next.append(Int(c))
                        }
                    }
                }
            }
            swap(&queue, &next)
        }
        dropEmptyRoutes(p)
    }

    /// Tries moves around u; applies the first improving one and returns the two routes changed.
    private mutating func improve(_ u: Int, _ p: Problem, _ k: Int) -> (Int, Int)? {
        let nbs = p.neighbors[u]
        for j in 0..<min(k, nbs.count) {
            let v = Int(nbs[j])
            let rvI = Int(routeOf[v])
            let ruI = Int(routeOf[u])
            if rvI < 0 || rvI == ruI { continue }
            let pu = Int(posOf[u]), pv = Int(posOf[v])
            let ru = routes[ruI], rv = routes[rvI]
            let uPrev = Int(ru.nodes[pu - 1]), uNext = Int(ru.nodes[pu + 1])
            let vPrev = Int(rv.nodes[pv - 1]), vNext = Int(rv.nodes[pv + 1])
            let su = p.nodeSeg[u], sv = p.nodeSeg[v]

            // removal of u from ru
            let removeGain = p.d(uPrev, u) + p.d(u, uNext) - p.d(uPrev, uNext)
            let ruWithout = Seg.merge(ru.fwd[pu - 1], ru.bwd[pu + 1], p.d(uPrev, uNext))
            if isFeasible(ruWithout, p) {
                // relocate u after v
                let addAfter = p.d(v, u) + p.d(u, vNext) - p.d(v, vNext)
                if addAfter < removeGain {
                    let s = Seg.merge(Seg.merge(rv.fwd[pv], su, p.d(v, u)), rv.bwd[pv + 1], p.d(u, vNext))
                    if isFeasible(s, p) {
                        applyRelocate(u, from: ruI, pu, to: rvI, after: pv, p)
                        return (ruI, rvI)
                    }
                }
                // relocate u before v
                let addBefore = p.d(vPrev, u) + p.d(u, v) - p.d(vPrev, v)
                if addBefore < removeGain {
                    let s = Seg.merge(Seg.merge(rv.fwd[pv - 1], su, p.d(vPrev, u)), rv.bwd[pv], p.d(u, v))
                    if isFeasible(s, p) {
                        applyRelocate(u, from: ruI, pu, to: rvI, after: pv - 1, p)
                        return (ruI, rvI)
                    }
                }
            }
            // swap u and v
            let swapDelta = p.d(uPrev, v) + p.d(v, uNext) - p.d(uPrev, u) - p.d(u, uNext)
                + p.d(vPrev, u) + p.d(u, vNext) - p.d(vPrev, v) - p.d(v, vNext)
            if swapDelta < 0 {
                let a = Seg.merge(Seg.merge(ru.fwd[pu - 1], sv, p.d(uPrev, v)), ru.bwd[pu + 1], p.d(v, uNext))
                if isFeasible(a, p) {
                    let b = Seg.merge(Seg.merge(rv.fwd[pv - 1], su, p.d(vPrev, u)), rv.bwd[pv + 1], p.d(u, vNext))
                    if isFeasible(b, p) {
                        routes[ruI].nodes[pu] = Int32(v)
                        routes[rvI].nodes[pv] = Int32(u)
                        recompute(ruI, p); recompute(rvI, p)
                        return (ruI, rvI)
                    }
                }
            }
            // 2-opt*: ru = ...u | v..., rv = ...vPrev | uNext...
            let d1 = p.d(u, v) + p.d(vPrev, uNext) - p.d(u, uNext) - p.d(vPrev, v)
            if d1 < 0 {
                let a = Seg.merge(ru.fwd[pu], rv.bwd[pv], p.d(u, v))
                let b = Seg.merge(rv.fwd[pv - 1], ru.bwd[pu + 1], p.d(vPrev, uNext))
                if isFeasible(a, p) && isFeasible(b, p) {
                    applyTailExchange(ruI, cutAfter: pu, rvI, cutAfter: pv - 1, p)
                    return (ruI, rvI)
                }
            }
            // 2-opt*: rv = ...v | u..., ru = ...uPrev | vNext...
            let d2 = p.d(v, u) + p.d(uPrev, vNext) - p.d(v, vNext) - p.d(uPrev, u)
            if d2 < 0 {
                let a = Seg.merge(rv.fwd[pv], ru.bwd[pu], p.d(v, u))
                let b = Seg.merge(ru.fwd[pu - 1], rv.bwd[pv + 1], p.d(uPrev, vNext))
                if isFeasible(a, p) && isFeasible(b, p) {
                    applyTailExchange(ruI, cutAfter: pu - 1, rvI, cutAfter: pv, p)
                    return (ruI, rvI)
                }
            }
        }
        return nil
    }

    private mutating func applyRelocate(_ u: Int, from ra: Int, _ pu: Int, to rb: Int, after pv: Int, _ p: Problem) {
        routes[ra].nodes.remove(at: pu)
        routes[rb].nodes.insert(Int32(u), at: pv + 1)
        recompute(ra, p); recompute(rb, p)
    }

    /// Route a keeps nodes[0...ca] then takes b's tail after cb; b keeps nodes[0...cb] then a's tail.
    private mutating func applyTailExchange(_ a: Int, cutAfter ca: Int, _ b: Int, cutAfter cb: Int, _ p: Problem) {
        let na = routes[a].nodes, nb = routes[b].nodes
        routes[a].nodes = Array(na[0...ca]) + Array(nb[(cb + 1)...])
        routes[b].nodes = Array(nb[0...cb]) + Array(na[(ca + 1)...])
        recompute(a, p); recompute(b, p)
    }
}
