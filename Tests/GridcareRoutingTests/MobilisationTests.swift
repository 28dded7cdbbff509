import Foundation
import Testing

@testable import GridcareRouting

@Suite struct MobilisationTests {
    static let metresPerDegLat = 6_371_008.8 * Double.pi / 180

    /// n households on a meridian through Chengdu, `spacing` metres apart, given in a scrambled order.
    static func line(_ n: Int, spacing: Double) -> (lat: [Double], lon: [Double]) {
        let order = (0..<n).map { ($0 * 7) % n }  // a permutation when gcd(7, n) = 1
        let lat = order.map { 30.6 + Double($0) * spacing / metresPerDegLat }
        return (lat, Array(repeating: 104.0, count: n))
    }

    static func randomGrid(_ n: Int, side: Double, seed: UInt64) -> (lat: [Double], lon: [Double]) {
        var rng = Xoshiro256(seed: seed)
        let mLon = metresPerDegLat * cos(30.6 * Double.pi / 180)
        var lat: [Double] = []
        var lon: [Double] = []
        for _ in 0..<n {
            lat.append(30.6 + (rng.unit() - 0.5) * side / metresPerDegLat)
            lon.append(104.0 + (rng.unit() - 0.5) * side / mLon)
        }
        return (lat, lon)
    }

    @Test func thirtySixAtOnePointMeetExactly() {
        let r = Mobilisation.check(
            latitudes: .init(repeating: 30.6, count: 36),
            longitudes: .init(repeating: 104, count: 36),
            workers: 1,
            rule: MobilisationRule()
        )
        #expect(r.households == 36)
        #expect(abs(r.minutesWithWorkers - 180) < 1e-9)
        #expect(r.fewestWorkers == 1)
        #expect(r.meets)
    }

    @Test func thirtySevenAtOnePointNeedTwo() {
        let lat = [Double](repeating: 30.6, count: 37)
        let lon = [Double](repeating: 104, count: 37)
        let one = Mobilisation.check(latitudes: lat, longitudes: lon, workers: 1, rule: MobilisationRule())
        #expect(abs(one.minutesWithWorkers - 185) < 1e-9)
        #expect(one.fewestWorkers == 2)
        #expect(!one.meets)
        let two = Mobilisation.check(latitudes: lat, longitudes: lon, workers: 2, rule: MobilisationRule())
        #expect(abs(two.minutesWithWorkers - 95) < 1e-9)  // 19 + 18 households
        #expect(two.meets)
    }

    /// 30 households 100 m apart on a line: 100 m at 4 km/h = 1.5 min. One worker: 30·5 + 29·1.5 = 193.5;
    /// two: 15·5 + 14·1.5 = 96; three: 10·5 + 9·1.5 = 63.5.
    @Test func straightLine() {
        let (lat, lon) = Self.line(30, spacing: 100)
        let order = Mobilisation.tour(latitudes: lat, longitudes: lon)
        #expect(order.sorted() == Array(0..<30))
        let expected: [Int: Double] = [1: 193.5, 2: 96, 3: 63.5]
        for (w, m) in expected {
            let r = Mobilisation.check(latitudes: lat, longitudes: lon, workers: w, rule: MobilisationRule())
            #expect(abs(r.minutesWithWorkers - m) < 1e-6, "workers \(w): \(r.minutesWithWorkers)")
            #expect(r.fewestWorkers == 2)
            #expect(r.meets == (w >= 2))
        }
    }

    @Test func emptyZeroWorkersAndImpossible() {
        let e = Mobilisation.check(latitudes: [], longitudes: [], workers: 0, rule: MobilisationRule())
        #expect(e.meets && e.fewestWorkers == 0 && e.minutesWithWorkers == 0)
        let (lat, lon) = Self.line(11, spacing: 20)
        let z = Mobilisation.check(latitudes: lat, longitudes: lon, workers: 0, rule: MobilisationRule())
        #expect(!z.meets)
        #expect(z.fewestWorkers == 1)
        #expect(z.minutesWithWorkers == .infinity)
        let imp = Mobilisation.check(
            latitudes: lat,
            longitudes: lon,
            workers: 3,
            rule: MobilisationRule(minutesPerHousehold: 200)
        )
        #expect(!imp.meets)
        #expect(imp.fewestWorkers == MobilisationResult.impossible)
        #expect(imp.fewestWorkers > imp.workers)
    }

    @Test(arguments: [1 as UInt64, 2, 3, 4, 5])
    func moreWorkersNeverWorseAndConsistent(seed: UInt64) {
        let (lat, lon) = Self.randomGrid(30 + Int(seed) * 14, side: 600, seed: seed)
        var previous = Double.infinity
        var fewest = -1
        for w in 0...8 {
            let r = Mobilisation.check(latitudes: lat, longitudes: lon, workers: w, rule: MobilisationRule())
            #expect(r.minutesWithWorkers <= previous + 1e-9, "workers \(w)")
            previous = r.minutesWithWorkers
            if fewest >= 0 { #expect(r.fewestWorkers == fewest) }
            fewest = r.fewestWorkers
            #expect(r.meets == (r.minutesWithWorkers <= 180 + 1e-9))
            #expect(r.meets == (w >= r.fewestWorkers))
        }
    }

    @Test func failingGridReportsMoreWorkersNeeded() {
        let (lat, lon) = Self.randomGrid(100, side: 800, seed: 9)  // ≥ 500 min of visits alone
        let r = Mobilisation.check(latitudes: lat, longitudes: lon, workers: 2, rule: MobilisationRule())
        #expect(!r.meets)
        #expect(r.fewestWorkers > r.workers)
        #expect(r.fewestWorkers >= 3)
        let enough = Mobilisation.check(latitudes: lat, longitudes: lon, workers: r.fewestWorkers, rule: MobilisationRule())
        #expect(enough.meets && enough.minutesWithWorkers <= 180)
    }

    /// The min–max split of a fixed tour agrees with an exact dynamic programme.
    @Test(arguments: [11 as UInt64, 12, 13, 14])
    func splitIsOptimalForTheTour(seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let n = 12 + rng.int(30)
        let legs = (0..<(n - 1)).map { _ in rng.unit() * 12 }
        let rule = MobilisationRule(minutesPerHousehold: 3 + rng.unit() * 4)
        let s = rule.minutesPerHousehold
        func piece(_ a: Int, _ b: Int) -> Double {  // households a...b
            Double(b - a + 1) * s + (a..<b).reduce(0.0) { $0 + legs[$1] }
        }
        for k in 1...5 {
            // best[j][i]: min over splits of households 0..<i into j pieces of the longest piece
            var best = [[Double]](repeating: .init(repeating: .infinity, count: n + 1), count: k + 1)
            best[0][0] = 0
            for j in 1...k {
                for i in 1...n {
                    for a in 0..<i { best[j][i] = min(best[j][i], max(best[j - 1][a], piece(a, i - 1))) }
                }
            }
            let exact = (1...k).map { best[$0][n] }.min()!
            let r = Mobilisation.split(legs: legs, workers: k, rule: rule)
            #expect(abs(r.minutesWithWorkers - exact) < 1e-6, "k \(k): \(r.minutesWithWorkers) vs \(exact)")
        }
    }

    /// The tour is a permutation and, on 8 points, close to the optimal open path.
    @Test(arguments: [21 as UInt64, 22, 23, 24, 25, 26])
    func tourNearOptimalOnTinyGrids(seed: UInt64) {
        let (lat, lon) = Self.randomGrid(8, side: 400, seed: seed)
        let (xs, ys) = Mobilisation.project(latitudes: lat, longitudes: lon)
        func len(_ p: [Int]) -> Double {
            zip(p, p.dropFirst()).reduce(0.0) { acc, e in
                let dx = xs[e.0] - xs[e.1]
                let dy = ys[e.0] - ys[e.1]
                return acc + (dx * dx + dy * dy).squareRoot()
            }
        }
        let t = Mobilisation.tour(latitudes: lat, longitudes: lon)
        #expect(t.sorted() == Array(0..<8))
        var best = Double.infinity
        var p = Array(0..<8)
        func permute(_ k: Int) {
            if k == p.count {
                best = min(best, len(p))
                return
            }
            for i in k..<p.count {
                p.swapAt(k, i)
                permute(k + 1)
                p.swapAt(k, i)
            }
        }
        permute(0)
        #expect(len(t) <= best * 1.05 + 1e-9, "tour \(len(t)) vs optimum \(best)")
    }
}
