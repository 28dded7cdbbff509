/// Route-segment summary for O(1) time-window feasibility (Vidal et al. 2013, "time warp"
/// concatenation). A segment is a visited sequence; its fields summarise the best schedule:
/// - duration: minimal total duration (travel + service + unavoidable waiting),
/// - timeWarp: total lateness that would be needed (0 ⇔ time-window feasible),
/// - early/late: earliest/latest start at the first node that achieves that duration/warp,
/// - load: summed demand.
struct Seg {
    var duration: Int
    var timeWarp: Int
    var early: Int
    var late: Int
    var load: Int

    /// Concatenation `a ⊕ b` with travel time `t` from a's last node to b's first node.
    @inline(__always) static func merge(_ a: Seg, _ b: Seg, _ t: Int) -> Seg {
        let delta = a.duration - a.timeWarp + t
        let dWait = max(b.early - delta - a.late, 0)
        let dTW = max(a.early + delta - b.late, 0)
        return Seg(
            duration: a.duration + b.duration + t + dWait,
            timeWarp: a.timeWarp + b.timeWarp + dTW,
            early: max(b.early - delta, a.early) - dWait,
            late: min(b.late - delta, a.late) + dTW,
            load: a.load + b.load
        )
    }
}
