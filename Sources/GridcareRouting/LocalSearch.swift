/// Granular local search (first improvement): for a client u and each of its nearest routed
/// neighbours v in another route, try relocate u after/before v, swap u and v, and the two
/// 2-opt* tail exchanges that create the edge u→v or v→u; when v is in u's own route, relocate u
/// next to v and the intra-route 2-opt creating the edge u–v. Every move is checked in O(1) with the
/// routes' forward/backward segments; only strictly improving feasible moves are applied.
extension State {
    mutating func localSearch(
        _ p: Problem,
        clients start: [Int],
        neighbors k: Int,
        _ ws: inout Workspace,
        intraRoute: Bool = true,
        maxMoves: Int = 100_000
    ) {
        var queue = start
        var next: [Int] = []
        var moves = 0
        while !queue.isEmpty && moves < maxMoves {
            next.removeAll(keepingCapacity: true)
            let tag = ws.nextStamp()
            for u in queue {
                if routeOf[u] < 0 { continue }
                if let (ra, rb, lo, hi) = improve(u, p, k, intraRoute) {
                    moves += 1
                    for r in (ra == rb ? [ra] : [ra, rb]) {
                        // inter-route moves requeue both routes; intra-route moves only the changed stretch
                        let nodes = routes[r].nodes
                        let a = max(1, lo)
                        let b = min(nodes.count - 2, hi)
                        if a > b { continue }  // route emptied
                        for i in a...b where ws.stamp[Int(nodes[i])] != tag {
                            ws.stamp[Int(nodes[i])] = tag
                            next.append(Int(nodes[i]))
                        }
                    }
                }
            }
            swap(&queue, &next)
        }
        dropEmptyRoutes(p)
    }

    /// Tries moves around u; applies the first improving one and returns the two routes changed and
    /// the node positions worth re-examining (everything for inter-route moves).
    private mutating func improve(_ u: Int, _ p: Problem, _ k: Int, _ intra: Bool) -> (Int, Int, Int, Int)? {
        let nbs = p.neighbors[u]
        for j in 0..<min(k, nbs.count) {
            let v = Int(nbs[j])
            let rvI = Int(routeOf[v])
            let ruI = Int(routeOf[u])
            if rvI < 0 { continue }
            if rvI == ruI {
                if intra {
                    let pu = Int(posOf[u])
                    let pv = Int(posOf[v])
                    if intraRoute(u, v, ruI, p) { return (ruI, ruI, min(pu, pv) - 1, max(pu, pv) + 1) }
                }
                continue
            }
            let pu = Int(posOf[u])
            let pv = Int(posOf[v])
            let ru = routes[ruI]
            let rv = routes[rvI]
            let uPrev = Int(ru.nodes[pu - 1])
            let uNext = Int(ru.nodes[pu + 1])
            let vPrev = Int(rv.nodes[pv - 1])
            let vNext = Int(rv.nodes[pv + 1])
            let su = p.nodeSeg[u]
            let sv = p.nodeSeg[v]

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
                        return (ruI, rvI, 0, Int.max)
                    }
                }
                // relocate u before v
                let addBefore = p.d(vPrev, u) + p.d(u, v) - p.d(vPrev, v)
                if addBefore < removeGain {
                    let s = Seg.merge(Seg.merge(rv.fwd[pv - 1], su, p.d(vPrev, u)), rv.bwd[pv], p.d(u, v))
                    if isFeasible(s, p) {
                        applyRelocate(u, from: ruI, pu, to: rvI, after: pv - 1, p)
                        return (ruI, rvI, 0, Int.max)
                    }
                }
            }
            // swap u and v
            let swapDelta =
                p.d(uPrev, v) + p.d(v, uNext) - p.d(uPrev, u) - p.d(u, uNext)
                + p.d(vPrev, u) + p.d(u, vNext) - p.d(vPrev, v) - p.d(v, vNext)
            if swapDelta < 0 {
                let a = Seg.merge(Seg.merge(ru.fwd[pu - 1], sv, p.d(uPrev, v)), ru.bwd[pu + 1], p.d(v, uNext))
                if isFeasible(a, p) {
                    let b = Seg.merge(Seg.merge(rv.fwd[pv - 1], su, p.d(vPrev, u)), rv.bwd[pv + 1], p.d(u, vNext))
                    if isFeasible(b, p) {
                        routes[ruI].nodes[pu] = Int32(v)
                        routes[rvI].nodes[pv] = Int32(u)
                        recompute(ruI, p)
                        recompute(rvI, p)
                        return (ruI, rvI, 0, Int.max)
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
                    return (ruI, rvI, 0, Int.max)
                }
            }
            // 2-opt*: rv = ...v | u..., ru = ...uPrev | vNext...
            let d2 = p.d(v, u) + p.d(uPrev, vNext) - p.d(v, vNext) - p.d(uPrev, u)
            if d2 < 0 {
                let a = Seg.merge(rv.fwd[pv], ru.bwd[pu], p.d(v, u))
                let b = Seg.merge(ru.fwd[pu - 1], rv.bwd[pv + 1], p.d(uPrev, vNext))
                if isFeasible(a, p) && isFeasible(b, p) {
                    applyTailExchange(ruI, cutAfter: pu - 1, rvI, cutAfter: pv, p)
                    return (ruI, rvI, 0, Int.max)
                }
            }
        }
        return nil
    }

    /// Intra-route moves bringing neighbours u and v (same route) together: relocate u right after
    /// or right before v, and the 2-opt that creates the edge u–v (reverse the part between them).
    /// Distance deltas first (exact for relocate; for 2-opt the reversed part's own length is added
    /// when the matrix is asymmetric); passing candidates are checked by concatenating the unchanged
    /// prefix/suffix segments with the moved part, node by node (no allocation, stops at the first
    /// time warp). Applies the first improving feasible move.
    private mutating func intraRoute(_ u: Int, _ v: Int, _ r: Int, _ p: Problem, maxSpan: Int = 12) -> Bool {
        let pu = Int(posOf[u])
        let pv = Int(posOf[v])
        if abs(pu - pv) > maxSpan { return false }
        let rt = routes[r]
        let uPrev = Int(rt.nodes[pu - 1])
        let uNext = Int(rt.nodes[pu + 1])
        let vPrev = Int(rt.nodes[pv - 1])
        let vNext = Int(rt.nodes[pv + 1])
        let removeGain = p.d(uPrev, u) + p.d(u, uNext) - p.d(uPrev, uNext)
        let su = p.nodeSeg[u]

        /// seg ⊕ nodes[a...b] (forward), last node tracked; nil on time warp.
        func run(_ seg0: Seg, _ last0: Int, _ a: Int, _ b: Int) -> (Seg, Int)? {
            var seg = seg0
            var last = last0
            if a <= b {
                for i in a...b {
                    let c = Int(rt.nodes[i])
                    seg = Seg.merge(seg, p.nodeSeg[c], p.d(last, c))
                    last = c
                    if seg.timeWarp != 0 { return nil }
                }
            }
            return (seg, last)
        }
        // relocate u after v
        if pv != pu - 1 && p.d(v, u) + p.d(u, vNext) - p.d(v, vNext) < removeGain {
            var ok = false
            if pu < pv {  // [..pu-1] [pu+1..pv] u [pv+1..]
                if let (m, last) = run(rt.fwd[pu - 1], uPrev, pu + 1, pv) {
                    let s1 = Seg.merge(m, su, p.d(last, u))
                    ok = s1.timeWarp == 0 && isFeasible(Seg.merge(s1, rt.bwd[pv + 1], p.d(u, vNext)), p)
                }
            } else {  // [..pv] u [pv+1..pu-1] [pu+1..]
                let s0 = Seg.merge(rt.fwd[pv], su, p.d(v, u))
                if s0.timeWarp == 0, let (m, last) = run(s0, u, pv + 1, pu - 1) {
                    ok = isFeasible(Seg.merge(m, rt.bwd[pu + 1], p.d(last, uNext)), p)
                }
            }
            if ok {
                moveWithinRoute(r, from: pu, to: pu < pv ? pv : pv + 1, p)
                return true
            }
        }
        // relocate u before v
        if pv != pu + 1 && p.d(vPrev, u) + p.d(u, v) - p.d(vPrev, v) < removeGain {
            var ok = false
            if pu < pv {  // [..pu-1] [pu+1..pv-1] u [pv..]
                if let (m, last) = run(rt.fwd[pu - 1], uPrev, pu + 1, pv - 1) {
                    let s1 = Seg.merge(m, su, p.d(last, u))
                    ok = s1.timeWarp == 0 && isFeasible(Seg.merge(s1, rt.bwd[pv], p.d(u, v)), p)
                }
            } else {  // [..pv-1] u [pv..pu-1] [pu+1..]
                let s0 = Seg.merge(rt.fwd[pv - 1], su, p.d(vPrev, u))
                if s0.timeWarp == 0, let (m, last) = run(s0, u, pv, pu - 1) {
                    ok = isFeasible(Seg.merge(m, rt.bwd[pu + 1], p.d(last, uNext)), p)
                }
            }
            if ok {
                moveWithinRoute(r, from: pu, to: pu < pv ? pv - 1 : pv, p)
                return true
            }
        }
        // 2-opt: pu < pv: reverse nodes[pu+1...pv] -> edges (u,v), (uNext,vNext);
        //        pv < pu: reverse nodes[pv...pu-1] -> edges (vPrev,uPrev), (v,u)
        let (a, b) = pu < pv ? (pu + 1, pv) : (pv, pu - 1)
        if b > a {
            let x = Int(rt.nodes[a - 1])
            let y = Int(rt.nodes[a])
            let z = Int(rt.nodes[b])
            let w = Int(rt.nodes[b + 1])
            var delta = p.d(x, z) + p.d(y, w) - p.d(x, y) - p.d(z, w)
            if delta < 0 {
                var seg = rt.fwd[a - 1]
                var last = x
                var ok = true
                var i = b
                while i >= a {
                    let c = Int(rt.nodes[i])
                    seg = Seg.merge(seg, p.nodeSeg[c], p.d(last, c))
                    if i < b { delta += p.d(last, c) - p.d(c, last) }  // asymmetric correction
                    last = c
                    if seg.timeWarp != 0 {
                        ok = false
                        break
                    }
                    i -= 1
                }
                if ok && delta < 0 && isFeasible(Seg.merge(seg, rt.bwd[b + 1], p.d(last, w)), p) {
                    routes[r].nodes[a...b].reverse()
                    recompute(r, p)
                    return true
                }
            }
        }
        return false
    }

    private mutating func moveWithinRoute(_ r: Int, from: Int, to: Int, _ p: Problem) {
        let c = routes[r].nodes.remove(at: from)
        routes[r].nodes.insert(c, at: to)
        recompute(r, p)
    }

    private mutating func applyRelocate(_ u: Int, from ra: Int, _ pu: Int, to rb: Int, after pv: Int, _ p: Problem) {
        routes[ra].nodes.remove(at: pu)
        routes[rb].nodes.insert(Int32(u), at: pv + 1)
        recompute(ra, p)
        recompute(rb, p)
    }

    /// Route a keeps nodes[0...ca] then takes b's tail after cb; b keeps nodes[0...cb] then a's tail.
    private mutating func applyTailExchange(_ a: Int, cutAfter ca: Int, _ b: Int, cutAfter cb: Int, _ p: Problem) {
        let na = routes[a].nodes
        let nb = routes[b].nodes
        routes[a].nodes = Array(na[0...ca]) + Array(nb[(cb + 1)...])
        routes[b].nodes = Array(nb[0...cb]) + Array(na[(ca + 1)...])
        recompute(a, p)
        recompute(b, p)
    }
}
