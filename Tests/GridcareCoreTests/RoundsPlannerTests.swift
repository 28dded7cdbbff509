import Foundation
import GridcareCore
import GridcareRouting
import Testing

@Suite struct ISOWeekTests {
    @Test func weeksReadAndPrintTheISOWay() {
        #expect(ISOWeek("2026-W49")?.monday == SimpleDate(year: 2026, month: 11, day: 30))
        #expect(ISOWeek("2026-W01")?.monday == SimpleDate(year: 2025, month: 12, day: 29))
        #expect(ISOWeek("2026-W53")?.monday == SimpleDate(year: 2026, month: 12, day: 28))  // 2026 starts on a Thursday
        #expect(ISOWeek("2025-W53") == nil)
        #expect(ISOWeek("2026-49") == nil && ISOWeek("2026-W00") == nil && ISOWeek("W49") == nil)
        #expect(ISOWeek(containing: SimpleDate(year: 2026, month: 12, day: 3)!).description == "2026-W49")
        #expect(ISOWeek(containing: SimpleDate(year: 2027, month: 1, day: 1)!).description == "2026-W53")
    }
}

@Suite struct RoundsPlannerTests {
    let centre = (latitude: 30.66, longitude: 104.06)
    let week = ISOWeek("2026-W49")!

    func visit(_ n: Int, metresEast: Double, overdue: Int = 0, tier: Tier? = nil, alert: Bool = false, window: ClosedRange<Int>? = nil) -> RoundsVisit
    {
        RoundsVisit(
            residentId: Int64(n),
            residentName: "居民\(n)",
            address: "路\(n)号",
            latitude: centre.latitude,
            longitude: centre.longitude + metresEast / (111_320 * cos(centre.latitude * .pi / 180)),
            visit: .doctorFollowUp,
            rule: "chronic_follow_up",
            dueOn: week.monday,
            overdueDays: overdue,
            tier: tier,
            alert: alert,
            window: window
        )
    }

    func member(days: Int = 5, hours: ClosedRange<Int> = 480...1050) -> RoundsMember {
        RoundsMember(workerId: 1, name: "李医生", hours: Dictionary(uniqueKeysWithValues: week.days.prefix(days).map { ($0, [hours]) }))
    }

    var planner: RoundsPlanner {
        var rules = RoundsRules()
        rules.solverSeconds = 0.5
        return RoundsPlanner(rules: rules, centre: centre)
    }

    @Test func everyVisitThatFitsIsPlannedInsideItsWindowWithArrivalTimes() {
        let visits = (1...6).map { visit($0, metresEast: Double($0) * 400) } + [visit(7, metresEast: 1000, window: 540...660)]
        let plan = planner.plan(visits: visits, members: [member()], days: week.days)
        #expect(plan.unplanned.isEmpty)
        let stops = plan.routes.flatMap(\.stops)
        #expect(Set(stops.map(\.visit.residentId)) == Set(1...7))
        for route in plan.routes {
            var t = route.departMinute
            for s in route.stops {
                #expect(s.arriveMinute >= t && s.leaveMinute == s.arriveMinute + 30)
                t = s.leaveMinute
            }
            #expect(route.returnMinute <= 1050)
        }
        let morning = stops.first { $0.visit.residentId == 7 }!
        #expect(morning.arriveMinute >= 540 && morning.arriveMinute <= 630)
    }

    @Test func whenTimeRunsOutTheMostUrgentAreKeptAndTheRestSayWhy() {
        // One member, one day of 570 minutes, forty 30-minute visits: about eighteen fit.
        var visits = (1...36).map { visit($0, metresEast: 200 + Double($0 % 6) * 50) }
        visits += [
            visit(37, metresEast: 300, alert: true), visit(38, metresEast: 300, tier: .red), visit(39, metresEast: 300, overdue: 60),
            visit(40, metresEast: 300, window: 360...420),
        ]
        let plan = planner.plan(visits: visits, members: [member(days: 1)], days: week.days)
        let planned = Set(plan.routes.flatMap(\.stops).map(\.visit.residentId))
        #expect(planned.count >= 15 && planned.count <= 19)
        #expect(planned.isSuperset(of: [37, 38, 39]))
        let early = plan.unplanned.first { $0.visit.residentId == 40 }
        #expect(early?.reason.contains("06:00–07:00") == true)
        #expect(plan.unplanned.filter { $0.visit.residentId <= 36 }.allSatisfy { $0.reason.hasPrefix("no time left this week") })
        #expect(plan.unplanned.count + planned.count == 40)
    }

    @Test func noRoundsHoursMeansNothingIsPlannedAndSaysSo() {
        let plan = planner.plan(visits: [visit(1, metresEast: 100)], members: [member(days: 0)], days: week.days)
        #expect(plan.routes.isEmpty && plan.unplanned.first?.reason == "no member of the team has rounds hours this week")
    }

    @Test func aDaysInstanceWritesToVRPLIBAndReadsBackTheSame() throws {
        let visits = (1...5).map { visit($0, metresEast: Double($0) * 300, window: $0 == 3 ? 540...700 : nil) }
        let inst = planner.instance(visits, hours: 480...1050, vehicles: 2, name: "week")
        let back = try VRPLIBReader.parse(VRPLIBWriter.text(inst), scale: 1)
        #expect(back.clients.map(\.earliest) == inst.clients.map(\.earliest) && back.clients.map(\.latest) == inst.clients.map(\.latest))
        #expect(back.clients.map(\.prize) == inst.clients.map(\.prize) && back.clients.map(\.serviceDuration) == inst.clients.map(\.serviceDuration))
        #expect(back.vehicleCount == 2 && back.depot.latest == 10_500 && back.clients.allSatisfy { !$0.required })
        for i in 0..<inst.nodeCount { for j in 0..<inst.nodeCount { #expect(back.distance(i, j) == inst.distance(i, j)) } }
    }

    @Test func aPlannedVisitIsDoneOrMissedOnce() throws {
        #expect(try PlannedVisitStatus.planned.after(.done) == .done)
        #expect(try PlannedVisitStatus.planned.after(.missed) == .missed)
        #expect(throws: TransitionError.self) { try PlannedVisitStatus.done.after(.missed) }
        #expect(throws: TransitionError.self) { try PlannedVisitStatus.missed.after(.done) }
    }
}
