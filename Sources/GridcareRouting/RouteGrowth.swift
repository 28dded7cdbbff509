/// Prize collecting with a limited fleet: a single skipped client rarely pays for a new route on
/// its own, so routes are opened by growing them whole: seed a new route with one skipped client,
/// then repeatedly add the most profitable skipped client near the route (insertion cost below
/// prize × factor), and finally prune what does not pay. Used by the construction and as an
/// occasional move inside the annealing loop.
extension State {
    /// Returns false when no route could be opened.
    @discardableResult
    mutating func growRoute(
        seed: Int,
        _ p: Problem,
        _ ws: inout Workspace,
        prizeFactor: Double = 1.0,
        neighborCount: Int = 20
    ) -> Bool {
        guard routes.count < p.vehicles, routeOf[seed] < 0 else { return false }
        let s = Seg.merge(Seg.merge(p.nodeSeg[0], p.nodeSeg[seed], p.d(0, seed)), p.nodeSeg[0], p.d(seed, 0))
        guard isFeasible(s, p) else { return false }
        insertNewRoute(seed, p)
        let r = routes.count - 1
        var cands: [Int] = []
        var tag = ws.nextStamp()
        func addNeighbors(of u: Int, _ st: State, _ ws: inout Workspace) {
            let nb = p.neighbors[u]
            for j in 0..<min(neighborCount, nb.count) {
                let v = Int(nb[j])
                if st.routeOf[v] < 0 && ws.stamp[v] != tag {
                    ws.stamp[v] = tag
                    cands.append(v)
                }
            }
        }
        addNeighbors(of: seed, self, &ws)
        while true {
            var bestGain = Double.infinity
            var bestC = -1
            var bestPos = -1
            var bestIdx = -1
            let cnt = routes[r].nodes.count
            let load = routes[r].fwd[cnt - 1].load
            for (idx, c) in cands.enumerated() {
                if routeOf[c] >= 0 || load + p.demand[c] > p.capacity { continue }
                let value = p.required[c] ? Double(Problem.bigM) : Double(p.prize[c]) * prizeFactor
                for pos in 0..<(cnt - 1) {
                    if let dl = insertionDelta(c, route: r, after: pos, p) {
                        let g = Double(dl) - value
                        if g < bestGain {
                            bestGain = g
                            bestC = c
                            bestPos = pos
                            bestIdx = idx
                        }
                    }
                }
            }
            if bestC < 0 || bestGain >= 0 { break }
            insert(bestC, route: r, after: bestPos, p)
            cands.swapAt(bestIdx, cands.count - 1)
            cands.removeLast()
            addNeighbors(of: bestC, self, &ws)
        }
        _ = tag
        tag = 0
        return true
    }
}
