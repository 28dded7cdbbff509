import Foundation
import GridcareCore
import GridcareRouting
import Testing

/// Where a visit fits (issue "What a new user trips over", items 1 and 6): the whole visit inside the
/// resident's window, inside one free block of a member-day (the working day less clinic sessions less
/// the lunch break, there and back included); the planner, the VRPLIB export and the reasons agree.
@Suite struct RoundsFitTests {
    let centre = (latitude: 30.66, longitude: 104.06)
    let week = ISOWeek("2026-W49")!
    /// Metres per degree of latitude, as `metresBetween` has it.
    let perDegree = 6_371_000 * Double.pi / 180

    /// A visit `east` and `north` metres from the centre; `also` adds visits made at the same stop.
    func visit(
        _ n: Int,
        east: Double,
        north: Double = 0,
        kind: VisitKind = .doctorFollowUp,
        also: [VisitKind] = [],
        window: ClosedRange<Int>? = nil,
        overdue: Int = 0
    ) -> RoundsVisit {
        var v = RoundsVisit(
            residentId: Int64(n),
            residentName: "居民\(n)",
            address: "路\(n)号",
            latitude: centre.latitude + north / perDegree,
            longitude: centre.longitude + east / (perDegree * cos(centre.latitude * .pi / 180)),
            visit: kind,
            rule: "chronic_follow_up",
            dueOn: week.monday,
            overdueDays: overdue,
            tier: nil,
            alert: false,
            window: window
        )
        v.also = also
        return v
    }

    func planner(_ rules: RoundsRules = RoundsRules()) -> RoundsPlanner {
        var rules = rules
        rules.solverSeconds = 30  // bounded by iterations instead, so the plans are reproducible
        var planner = RoundsPlanner(rules: rules, centre: centre)
        planner.maxIterations = 150
        return planner
    }

    @Test func theDayIsItsFreeBlocksLessClinicSessionsAndLunch() {
        var rules = RoundsRules()
        #expect(rules.freeBlocks(less: []) == [480...720, 810...1050])
        #expect(rules.freeBlocks(less: [480...600]) == [600...720, 810...1050])
        #expect(rules.freeBlocks(less: [690...900]) == [480...690, 900...1050])
        #expect(rules.freeBlocks(less: [540...700]) == [480...540, 810...1050])  // 08:00–09:00 is just an hour
        #expect(rules.freeBlocks(less: [530...700]) == [810...1050])  // 50 minutes are no route
        rules.minimumBlockMinutes = 30
        #expect(rules.freeBlocks(less: [530...700]) == [480...530, 810...1050])
        rules.lunchStartMinute = 12 * 60
        rules.lunchEndMinute = 12 * 60
        #expect(rules.freeBlocks(less: []) == [480...1050])
    }

    /// The report's case: a 75-minute stop of a resident in 10:00–10:30 is left out, once, saying so; the
    /// resident in 10:00–11:20 next door gets the 10:00 visit, inside their window.
    @Test func aWindowShorterThanTheVisitIsLeftOutOnceAndTheVisitThatFitsIsPlannedInside() {
        let short = visit(1, east: 300, kind: .annualCheck, also: [.doctorFollowUp], window: 600...630, overdue: 30)
        let fits = visit(2, east: 320, kind: .annualCheck, also: [.doctorFollowUp], window: 600...680)
        let others = (3...5).map { visit($0, east: Double($0) * 150) }
        let p = planner()
        let member = RoundsMember(workerId: 1, name: "李医生", hours: [week.monday: [480...720, 810...1050]])
        let plan = p.plan(visits: [short, fits] + others, members: [member], days: week.days)
        let stops = plan.routes.flatMap(\.stops)
        #expect(!stops.contains { $0.visit.residentId == 1 })
        let left = plan.unplanned.filter { $0.visit.residentId == 1 }
        #expect(left.count == 1)
        #expect(left.first?.reason.contains("10:00–10:30") == true && left.first?.reason.contains("75 minutes") == true, "\(left)")
        let stop = stops.first { $0.visit.residentId == 2 }
        #expect(stop != nil, "\(plan.unplanned.map(\.reason))")
        if let stop { #expect(stop.arriveMinute >= 600 && stop.leaveMinute <= 680 && stop.leaveMinute - stop.arriveMinute == 75) }
        // The export agrees: the short one is in no block's instance; the other's window is its start times.
        let exported = p.instances([short, fits], members: [member], days: week.days, name: "t")
        #expect(exported.map(\.block) == [480...720, 810...1050])
        #expect(exported[0].instance.clients.count == 1 && exported[1].instance.clients.isEmpty)
        let starts = p.startTimes(fits, in: 480...720)
        #expect(starts?.upperBound == 6050 && exported[0].instance.clients[0].latest == 6050 && exported[0].instance.clients[0].earliest == 6000)
        #expect(p.startTimes(fits, in: 810...1050) == nil && p.startTimes(short, in: 480...720) == nil)
    }

    /// The lunch break and a window across it: the visit goes after lunch, wholly inside the window.
    @Test func aWindowAcrossLunchIsVisitedAfterItAndNeverDuring() {
        let v = visit(1, east: 500, kind: .annualCheck, also: [.doctorFollowUp], window: 710...960)
        let p = planner()
        let member = RoundsMember(workerId: 1, name: "李医生", hours: [week.monday: RoundsRules().freeBlocks(less: [])])
        let plan = p.plan(visits: [v], members: [member], days: week.days)
        let route = plan.routes.first
        #expect(plan.unplanned.isEmpty && route?.departMinute == 810)
        if let s = route?.stops.first { #expect(s.arriveMinute >= 810 && s.leaveMinute <= 960) }
        // Out of the window the afternoon cannot hold it: then it fits no member-day, and says so with the window.
        let late = visit(2, east: 500, kind: .annualCheck, also: [.doctorFollowUp], window: 700...880)
        let none = p.plan(visits: [late], members: [member], days: week.days)
        #expect(none.routes.isEmpty && none.unplanned.first?.reason.hasPrefix("cannot fit any member-day") == true)
        #expect(none.unplanned.first?.reason.contains("11:40–14:40") == true)
    }

    // MARK: - the property: random weeks

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) / 10_000 < p }
    }

    /// For 200 random weeks (members, rounds days, clinic sessions, residents near and far, windows wide,
    /// narrow, across lunch and too short, stops of several visits): every planned stop lies inside its
    /// window and inside one free block of its member's day, there and back; no stop or route meets a
    /// clinic session or the lunch break; every visit is planned or left out exactly once; and every reason
    /// given is true of the week, checked with the test's own travel arithmetic.
    @Test func everyStopFitsItsWindowAndItsMembersHoursAndEveryReasonIsTrue() {
        var rng = SplitMix(state: 20_261_201)
        let rules = RoundsRules()
        let lunch = rules.lunchStartMinute...rules.lunchEndMinute
        let kinds: [VisitKind] = [.homeVisit, .doctorFollowUp, .annualCheck]
        let minutesPerMetre = rules.detour / (rules.speedKmh * 1000 / 60)
        var planned = 0
        var refusedShort = 0
        var noFit = 0
        var noTime = 0
        for weekNumber in 0..<200 {
            // The team's clinic sessions, day by day; each member's rounds days.
            let days = Array(week.days.prefix(rng.int(1...3)))
            var sessions: [SimpleDate: [ClosedRange<Int>]] = [:]
            for day in days where rng.chance(0.6) {
                for _ in 0..<rng.int(1...2) {
                    let start = rng.int(16...33) * 30
                    sessions[day, default: []].append(start...min(1050, start + rng.int(2...8) * 30))
                }
            }
            let members = (0..<rng.int(1...3)).map { m in
                RoundsMember(
                    workerId: Int64(m + 1),
                    name: "医生\(m)",
                    hours: Dictionary(
                        uniqueKeysWithValues: days.compactMap { day in
                            let blocks = rules.freeBlocks(less: sessions[day] ?? [])
                            return rng.chance(0.8) && !blocks.isEmpty ? (day, blocks) : nil
                        }
                    )
                )
            }
            var positions: [Int64: (x: Double, y: Double)] = [:]
            let visits = (0..<rng.int(4...22)).map { n -> RoundsVisit in
                let far = rng.chance(0.1) ? 15_000.0 : 3_000.0
                let x = Double(rng.int(-1000...1000)) / 1000 * far
                let y = Double(rng.int(-1000...1000)) / 1000 * far
                var window: ClosedRange<Int>?
                if rng.chance(0.6) {
                    let from = rng.int(70...200) * 5
                    window = from...min(1440, from + rng.int(3...60) * 5)
                }
                let kind = kinds[rng.int(0...2)]
                let also = rng.chance(0.3) ? [kinds.filter { $0 != kind }[rng.int(0...1)]] : []
                positions[Int64(n + 1)] = (x, y)
                return visit(n + 1, east: x, north: y, kind: kind, also: also, window: window, overdue: rng.int(0...60))
            }
            var p = planner(rules)
            p.seed = UInt64(weekNumber + 1)
            let plan = p.plan(visits: visits, members: members, days: week.days)

            func travel(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Double {
                ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot() * minutesPerMetre
            }
            let home = (x: 0.0, y: 0.0)
            func meets(_ a: Int, _ b: Int, _ r: ClosedRange<Int>) -> Bool { a < r.upperBound && r.lowerBound < b }
            let label = "week \(weekNumber)"

            // Each visit once, planned or not.
            let ids = plan.routes.flatMap { $0.stops.map(\.visit.residentId) } + plan.unplanned.map(\.visit.residentId)
            #expect(ids.sorted() == visits.map(\.residentId).sorted(), "\(label)")

            for route in plan.routes {
                let member = members.first { $0.workerId == route.workerId }!
                let block = (member.hours[route.day] ?? []).first { $0.lowerBound == route.departMinute }
                #expect(route.returnMinute <= block?.upperBound ?? -1, "\(label): route \(route.departMinute)–\(route.returnMinute) in no block")
                guard let block else { continue }
                for r in (sessions[route.day] ?? []) + [lunch] {
                    #expect(!meets(route.departMinute, route.returnMinute, r), "\(label): route meets \(r)")
                }
                var at = home
                var free = Double(route.departMinute)
                for s in route.stops {
                    let v = s.visit
                    let here = positions[v.residentId]!
                    planned += 1
                    #expect(s.leaveMinute - s.arriveMinute == rules.minutes(v), "\(label)")
                    #expect(Double(s.arriveMinute) >= free + travel(at, here) - 1.1, "\(label): \(v.residentId) arrives too soon")
                    if let w = v.window {
                        #expect(w.lowerBound <= s.arriveMinute && s.leaveMinute <= w.upperBound, "\(label): \(v.residentId) outside \(w)")
                    }
                    #expect(block.lowerBound <= s.arriveMinute && s.leaveMinute <= block.upperBound, "\(label)")
                    for r in (sessions[route.day] ?? []) + [lunch] { #expect(!meets(s.arriveMinute, s.leaveMinute, r), "\(label): stop meets \(r)") }
                    at = here
                    free = Double(s.leaveMinute)
                }
                #expect(free + travel(at, home) <= Double(block.upperBound) + 0.1, "\(label): back after the block")
            }

            // Whether a visit could fit one block alone, with travel `slack` minutes shorter than the test's own.
            func fits(_ v: RoundsVisit, _ block: ClosedRange<Int>, slack: Double) -> Bool {
                let t = travel(home, positions[v.residentId]!) - slack
                let window = v.window ?? block
                let earliest = max(Double(block.lowerBound) + t, Double(window.lowerBound))
                let latest = min(Double(block.upperBound) - t, Double(window.upperBound)) - Double(rules.minutes(v))
                return earliest <= latest
            }
            let blocks = days.flatMap { day in members.flatMap { $0.hours[day] ?? [] } }
            for (v, reason) in plan.unplanned {
                if let w = v.window, w.upperBound - w.lowerBound < rules.minutes(v) {
                    refusedShort += 1
                    #expect(
                        reason.contains("\(clock(w.lowerBound))–\(clock(w.upperBound))") && reason.contains("\(rules.minutes(v)) minutes"),
                        "\(label): \(reason)"
                    )
                } else if blocks.isEmpty {
                    #expect(reason == "no member of the team has rounds hours this week", "\(label)")
                } else if reason.hasPrefix("cannot fit any member-day") {
                    noFit += 1
                    #expect(!blocks.contains { fits(v, $0, slack: -0.01) }, "\(label): \(v.residentId) said not to fit, but fits")
                } else {
                    noTime += 1
                    #expect(reason.hasPrefix("no time left this week"), "\(label): \(reason)")
                    #expect(blocks.contains { fits(v, $0, slack: 0.11) }, "\(label): \(v.residentId) said to have run out of time, but fits nowhere")
                }
            }
        }
        // The weeks did exercise every case.
        #expect(planned > 500 && refusedShort > 20 && noFit > 20 && noTime > 20, "\(planned) \(refusedShort) \(noFit) \(noTime)")
    }

    /// The export's instances are the planner's: one per day and block, every client's window the start
    /// times `startTimes` gives, and a visit that fits no block in none of them.
    @Test func theExportHasTheStartTimesThePlannerUses() throws {
        let p = planner()
        let visits = [
            visit(1, east: 400, window: 560...700), visit(2, east: 900, kind: .homeVisit, window: 690...900),
            visit(3, east: 200, window: 600...620), visit(4, east: 40_000),
        ]
        let members = [
            RoundsMember(workerId: 1, name: "李医生", hours: [week.monday: [480...720, 810...1050], week.days[1]: [600...720]]),
            RoundsMember(workerId: 2, name: "王护士", hours: [week.monday: [480...720, 810...1050]]),
        ]
        let exported = p.instances(visits, members: members, days: week.days, name: "w")
        #expect(
            exported.map { "\($0.day.iso) \($0.block) \($0.instance.vehicleCount)" }
                == ["2026-11-30 480...720 2", "2026-11-30 810...1050 2", "2026-12-01 600...720 1"]
        )
        for (_, block, inst) in exported {
            let fitting = visits.filter { p.startTimes($0, in: block) != nil }
            #expect(inst.clients.count == fitting.count && inst.depot.earliest == block.lowerBound * 10 && inst.depot.latest == block.upperBound * 10)
            for (c, v) in zip(inst.clients, fitting) {
                #expect(c.earliest...c.latest == p.startTimes(v, in: block) && c.serviceDuration == p.rules.minutes(v) * 10)
            }
            let back = try VRPLIBReader.parse(VRPLIBWriter.text(inst), scale: 1)
            #expect(back.clients.map(\.earliest) == inst.clients.map(\.earliest) && back.clients.map(\.latest) == inst.clients.map(\.latest))
        }
        #expect(!exported.contains { $0.instance.clients.contains { $0.x > 100 } })  // the one 40 km away fits nowhere
        let plan = p.plan(visits: visits, members: members, days: week.days)
        let reasons = Dictionary(uniqueKeysWithValues: plan.unplanned.map { ($0.visit.residentId, $0.reason) })
        #expect(reasons[3]?.contains("10:00–10:20") == true && reasons[3]?.contains("30 minutes") == true)
        #expect(reasons[4]?.hasPrefix("cannot fit any member-day") == true)
        #expect(reasons[1] == nil && reasons[2] == nil, "\(reasons)")
    }
}
