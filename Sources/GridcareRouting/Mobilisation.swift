import Foundation

/// The 3-hour mobilisation rule: the workers of a micro-grid must be able to reach every household
/// within `limitMinutes` (visit time per household + walking between households, from coordinates).
public struct MobilisationRule: Sendable, Equatable {
    /// Time spent at each household.
    public var minutesPerHousehold: Double
    /// Walking speed (straight-line distance between households).
    public var walkingKmPerHour: Double
    /// Every worker must have finished within this many minutes.
    public var limitMinutes: Double

    public init(minutesPerHousehold: Double = 5, walkingKmPerHour: Double = 4, limitMinutes: Double = 180) {
        self.minutesPerHousehold = minutesPerHousehold
        self.walkingKmPerHour = walkingKmPerHour
        self.limitMinutes = limitMinutes
    }
}

/// What the people do at each household, which decides the minutes they spend there.
public enum MobilisationKind: String, Sendable, CaseIterable, Codable {
    /// 通知到户: a notice at the door (a warning, an evacuation call, a campaign): knock, tell, confirm.
    case notice
    /// 入户排查: a door-to-door check of who is at home and how they are.
    case doorToDoor = "door_to_door"
}

/// The minutes per household of each kind of mobilisation, with the walking speed and the limit they
/// share (`rules.mobilisation.*`).
public struct MobilisationRules: Sendable, Equatable {
    public var noticeMinutes: Double
    public var doorToDoorMinutes: Double
    public var walkingKmPerHour: Double
    public var limitMinutes: Double

    public init(noticeMinutes: Double = 3, doorToDoorMinutes: Double = 8, walkingKmPerHour: Double = 4, limitMinutes: Double = 180) {
        self.noticeMinutes = noticeMinutes
        self.doorToDoorMinutes = doorToDoorMinutes
        self.walkingKmPerHour = walkingKmPerHour
        self.limitMinutes = limitMinutes
    }

    /// The rule one check runs with.
    public func rule(_ kind: MobilisationKind) -> MobilisationRule {
        MobilisationRule(
            minutesPerHousehold: kind == .notice ? noticeMinutes : doorToDoorMinutes,
            walkingKmPerHour: walkingKmPerHour,
            limitMinutes: limitMinutes
        )
    }
}

public struct MobilisationResult: Sendable, Equatable {
    /// `fewestWorkers` when no number of workers meets the limit: a single household's visit
    /// alone already exceeds it (`minutesPerHousehold > limitMinutes`). Compares greater than any
    /// real worker count, so `fewestWorkers > workers` still means "fails".
    public static let impossible = Int.max

    public var households: Int
    public var workers: Int
    /// The longest worker's time (minutes) with the workers the micro-grid has: visits plus walking
    /// along its part of the tour. `.infinity` with 0 workers and at least one household; 0 without households.
    public var minutesWithWorkers: Double
    /// The fewest workers whose split of the tour meets the limit (0 for a micro-grid without
    /// households, `MobilisationResult.impossible` when none can).
    public var fewestWorkers: Int
    /// `fewestWorkers <= workers`.
    public var meets: Bool
    /// How many more people the micro-grid needs to meet the limit (0 when it meets it, nil when
    /// nobody can: one household's visit alone exceeds the limit).
    public var shortfall: Int? { fewestWorkers == Self.impossible ? nil : max(0, fewestWorkers - workers) }

    public init(households: Int, workers: Int, minutesWithWorkers: Double, fewestWorkers: Int, meets: Bool) {
        self.households = households
        self.workers = workers
        self.minutesWithWorkers = minutesWithWorkers
        self.fewestWorkers = fewestWorkers
        self.meets = meets
    }
}

/// Mobilisation check for one micro-grid, on plain values (no I/O, no shared state: call it from as
/// many threads as you like).
///
/// Method:
/// 1. Coordinates → metres by an equirectangular projection around the grid's mean latitude
///    (error far below a metre over a few hundred metres).
/// 2. One open walking tour over all households (a Hamiltonian path, no return): nearest neighbour
///    from the household farthest from the centroid, then 2-opt and Or-opt (segments of 1–3 moved,
///    possibly reversed) until no improving move or a pass cap.
/// 3. The tour is split into k consecutive pieces, one per worker (all start at the same time, each
///    at the first household of its piece, and stop at its last: the walk between two pieces is
///    nobody's). A piece's time = households × minutesPerHousehold + its walking time.
///    For a limit L, the greedy split (extend each piece while it fits) uses the fewest pieces —
///    optimal because any sub-piece of a fitting piece fits; `fewestWorkers` is that count for
///    `limitMinutes`. The best k-split (minimising the longest piece) is the smallest L whose greedy
///    count is ≤ k, found by bisection; the reported value is the longest piece of that split.
///
/// Honesty note: splitting *one* tour is a heuristic, so `minutesWithWorkers` is an upper bound on
/// the true optimum (the min–max open multi-path problem is NP-hard): the tour itself is not optimal,
/// and k workers could do better with paths that are not consecutive pieces of one tour (for example
/// two workers starting back to back in the middle of a long line do no better than a cut there, but
/// in two dense clusters joined by a corridor, a cut-based split can force one worker to span both).
/// Hence a grid reported as failing might, in rare borderline cases, be feasible with a cleverer
/// assignment; a grid reported as meeting the rule certainly meets it (the plan exists).
/// Walking is straight-line; real paths are longer, so for a safety margin lower the speed.
public enum Mobilisation {
    public static func check(
        latitudes: [Double],
        longitudes: [Double],
        workers: Int,
        rule: MobilisationRule = MobilisationRule()
    ) -> MobilisationResult {
        precondition(latitudes.count == longitudes.count, "one latitude per longitude")
        let n = latitudes.count
        let w = max(0, workers)
        if n == 0 {
            return MobilisationResult(households: 0, workers: w, minutesWithWorkers: 0, fewestWorkers: 0, meets: true)
        }
        let legs = tourLegMinutes(latitudes: latitudes, longitudes: longitudes, rule: rule)
        return split(legs: legs, workers: w, rule: rule)
    }

    /// Splits an already ordered tour: `legs[i]` = walking minutes between household i and i+1
    /// (`legs.count` = households − 1). Exposed for tests and for callers with their own order.
    public static func split(legs: [Double], workers: Int, rule: MobilisationRule = MobilisationRule()) -> MobilisationResult {
        let n = legs.count + 1
        let w = max(0, workers)
        let s = rule.minutesPerHousehold
        let eps = 1e-9
        // prefix[i] = walking minutes from household 0 to household i along the tour
        var prefix = [Double](repeating: 0, count: n)
        for i in 1..<n { prefix[i] = prefix[i - 1] + legs[i - 1] }
        let total = Double(n) * s + prefix[n - 1]

        /// Greedy split for limit L: number of pieces (Int.max if one household exceeds L) and the longest piece.
        func greedy(_ limit: Double, maxPieces: Int) -> (pieces: Int, longest: Double) {
            if s > limit + eps { return (Int.max, .infinity) }
            var pieces = 0
            var start = 0
            var longest = 0.0
            while start < n {
                pieces += 1
                if pieces > maxPieces { return (pieces, longest) }
                var end = start  // last household of this piece
                while end + 1 < n && Double(end + 2 - start) * s + prefix[end + 1] - prefix[start] <= limit + eps { end += 1 }
                longest = max(longest, Double(end + 1 - start) * s + prefix[end] - prefix[start])
                start = end + 1
            }
            return (pieces, longest)
        }

        let fewest = greedy(rule.limitMinutes, maxPieces: Int.max).pieces
        let minutes: Double
        if w == 0 {
            minutes = .infinity
        } else if w >= n {
            minutes = s  // everyone visits one household
        } else {
            // the smallest L with greedy(L) ≤ w lies in [s, total]
            var lo = s
            var hi = total
            var bestLongest = greedy(hi, maxPieces: w).longest
            for _ in 0..<100 {
                let mid = 0.5 * (lo + hi)
                if mid <= lo || mid >= hi { break }
                let g = greedy(mid, maxPieces: w)
                if g.pieces <= w {
                    hi = mid
                    bestLongest = min(bestLongest, g.longest)
                } else {
                    lo = mid
                }
                if hi - lo <= 1e-9 * max(1, hi) { break }
            }
            minutes = bestLongest
        }
        return MobilisationResult(
            households: n,
            workers: w,
            minutesWithWorkers: minutes,
            fewestWorkers: fewest,
            meets: fewest <= w
        )
    }

    /// Builds the open tour and returns its walking legs in minutes.
    static func tourLegMinutes(latitudes: [Double], longitudes: [Double], rule: MobilisationRule) -> [Double] {
        let n = latitudes.count
        if n < 2 { return [] }
        let order = tour(latitudes: latitudes, longitudes: longitudes)
        let (xs, ys) = project(latitudes: latitudes, longitudes: longitudes)
        let minutesPerMetre = 60.0 / (rule.walkingKmPerHour * 1000.0)
        var legs = [Double](repeating: 0, count: n - 1)
        for i in 0..<(n - 1) {
            let a = order[i]
            let b = order[i + 1]
            let dx = xs[a] - xs[b]
            let dy = ys[a] - ys[b]
            legs[i] = (dx * dx + dy * dy).squareRoot() * minutesPerMetre
        }
        return legs
    }

    /// Equirectangular projection to metres around the mean latitude.
    public static func project(latitudes: [Double], longitudes: [Double]) -> (x: [Double], y: [Double]) {
        let n = latitudes.count
        if n == 0 { return ([], []) }
        let r = 6_371_008.8
        let rad = Double.pi / 180
        var lat0 = 0.0
        for v in latitudes { lat0 += v }
        lat0 /= Double(n)
        let kx = r * rad * cos(lat0 * rad)
        let ky = r * rad
        let lon0 = longitudes[0]
        var xs = [Double](repeating: 0, count: n)
        var ys = xs
        for i in 0..<n {
            xs[i] = (longitudes[i] - lon0) * kx
            ys[i] = (latitudes[i] - lat0) * ky
        }
        return (xs, ys)
    }

    /// A good open path over all points (indices into the inputs): nearest neighbour + 2-opt + Or-opt.
    public static func tour(latitudes: [Double], longitudes: [Double], maxPasses: Int = 30) -> [Int] {
        let n = latitudes.count
        if n <= 2 { return Array(0..<n) }
        let (xs, ys) = project(latitudes: latitudes, longitudes: longitudes)
        var d = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let dx = xs[i] - xs[j]
                let dy = ys[i] - ys[j]
                let v = (dx * dx + dy * dy).squareRoot()
                d[i * n + j] = v
                d[j * n + i] = v
            }
        }
        return d.withUnsafeBufferPointer { dm in
            @inline(__always) func dist(_ a: Int32, _ b: Int32) -> Double { dm[Int(a) &* n &+ Int(b)] }
            // start: the point farthest from the centroid (an extreme point)
            var cx = 0.0
            var cy = 0.0
            for i in 0..<n {
                cx += xs[i]
                cy += ys[i]
            }
            cx /= Double(n)
            cy /= Double(n)
            var first = 0
            var far = -1.0
            for i in 0..<n {
                let v = (xs[i] - cx) * (xs[i] - cx) + (ys[i] - cy) * (ys[i] - cy)
                if v > far {
                    far = v
                    first = i
                }
            }
            // nearest neighbour
            var path = [Int32](repeating: 0, count: n)
            var used = [Bool](repeating: false, count: n)
            path[0] = Int32(first)
            used[first] = true
            for k in 1..<n {
                let cur = Int(path[k - 1])
                var best = -1
                var bd = Double.infinity
                for j in 0..<n where !used[j] {
                    let v = dm[cur * n + j]
                    if v < bd {
                        bd = v
                        best = j
                    }
                }
                path[k] = Int32(best)
                used[best] = true
            }
            let eps = 1e-7
            var pass = 0
            var improved = true
            while improved && pass < maxPasses {
                improved = false
                pass += 1
                // 2-opt on an open path: reverse path[i...j]; missing boundary edges cost nothing
                for i in 0..<(n - 1) {
                    for j in (i + 1)..<n where !(i == 0 && j == n - 1) {
                        var delta = 0.0
                        if i > 0 { delta += dist(path[i - 1], path[j]) - dist(path[i - 1], path[i]) }
                        if j < n - 1 { delta += dist(path[i], path[j + 1]) - dist(path[j], path[j + 1]) }
                        if delta < -eps {
                            var a = i
                            var b = j
                            while a < b {
                                path.swapAt(a, b)
                                a += 1
                                b -= 1
                            }
                            improved = true
                        }
                    }
                }
                // Or-opt: move path[i..<i+len] elsewhere (either orientation)
                for len in 1...3 where len < n {
                    var i = 0
                    while i + len <= n {
                        if orMove(&path, i, len, n, dist, eps) { improved = true }
                        i += 1
                    }
                }
            }
            return path.map { Int($0) }
        }
    }

    /// Tries to move the segment path[i..<i+len] to its best other position; applies it if it improves.
    @inline(__always)
    private static func orMove(
        _ path: inout [Int32],
        _ i: Int,
        _ len: Int,
        _ n: Int,
        _ dist: (Int32, Int32) -> Double,
        _ eps: Double
    ) -> Bool {
        let f = path[i]
        let l = path[i + len - 1]
        let hasPrev = i > 0
        let hasNext = i + len < n
        if !hasPrev && !hasNext { return false }
        var removeGain = 0.0
        if hasPrev && hasNext {
            let p = path[i - 1]
            let q = path[i + len]
            removeGain = dist(p, f) + dist(l, q) - dist(p, q)
        } else if hasPrev {
            removeGain = dist(path[i - 1], f)
        } else {
            removeGain = dist(l, path[i + len])
        }
        if removeGain <= eps { return false }
        // positions in the remaining path r (length m = n - len): insert between r[k-1] and r[k],
        // k = 0 (front) ... m (back). r[k] = path[k] for k < i, path[k + len] otherwise.
        let m = n - len
        @inline(__always) func r(_ k: Int) -> Int32 { k < i ? path[k] : path[k + len] }
        var bestDelta = -eps
        var bestK = -1
        var bestRev = false
        for k in 0...m where k != i {
            let add: Double
            let addRev: Double
            if k == 0 {
                let b = r(0)
                add = dist(l, b)
                addRev = dist(f, b)
            } else if k == m {
                let a = r(m - 1)
                add = dist(a, f)
                addRev = dist(a, l)
            } else {
                let a = r(k - 1)
                let b = r(k)
                let base = dist(a, b)
                add = dist(a, f) + dist(l, b) - base
                addRev = dist(a, l) + dist(f, b) - base
            }
            if add - removeGain < bestDelta {
                bestDelta = add - removeGain
                bestK = k
                bestRev = false
            }
            if addRev - removeGain < bestDelta {
                bestDelta = addRev - removeGain
                bestK = k
                bestRev = true
            }
        }
        if bestK < 0 { return false }
        var seg = Array(path[i..<(i + len)])
        if bestRev { seg.reverse() }
        path.removeSubrange(i..<(i + len))
        path.insert(contentsOf: seg, at: bestK)
        return true
    }
}
