import Foundation
import GridcareRouting

/// A visit the planner may place: who, where, which visit, how urgent, when the resident is in.
public struct RoundsVisit: Sendable, Equatable {
    public var residentId: Int64, residentName: String, address: String, latitude: Double, longitude: Double
    public var visit: VisitKind, rule: String, dueOn: SimpleDate, overdueDays: Int
    /// Other visits due for the same resident, made at the same stop.
    public var also: [VisitKind] = []
    public var tier: Tier?, alert: Bool
    /// The resident's availability, minutes after midnight (nil: the whole working day).
    public var window: ClosedRange<Int>?

    public init(
        residentId: Int64,
        residentName: String,
        address: String,
        latitude: Double,
        longitude: Double,
        visit: VisitKind,
        rule: String,
        dueOn: SimpleDate,
        overdueDays: Int,
        tier: Tier?,
        alert: Bool,
        window: ClosedRange<Int>?
    ) {
        self.residentId = residentId
        self.residentName = residentName
        self.address = address
        self.latitude = latitude
        self.longitude = longitude
        self.visit = visit
        self.rule = rule
        self.dueOn = dueOn
        self.overdueDays = overdueDays
        self.tier = tier
        self.alert = alert
        self.window = window
    }
}

/// A team member who makes rounds, and the hours they have for them on each day of the week.
public struct RoundsMember: Sendable, Equatable {
    public var workerId: Int64, name: String
    /// Day → the free blocks of that day, in order (working hours less clinic sessions less the lunch
    /// break, `RoundsRules.freeBlocks`); each block is one route from the centre and back. A day missing
    /// here (or with no block) is not a rounds day.
    public var hours: [SimpleDate: [ClosedRange<Int>]]
    public init(workerId: Int64, name: String, hours: [SimpleDate: [ClosedRange<Int>]]) {
        self.workerId = workerId
        self.name = name
        self.hours = hours
    }
}

public struct RoundsStop: Sendable, Equatable {
    public var visit: RoundsVisit, arriveMinute: Int, leaveMinute: Int
    /// The stop's number in its member's day, counted on across the day's routes (1, 2, … then on after lunch).
    public var seq: Int
}

/// One member's route in one free block of a day, from the centre and back.
public struct RoundsRoute: Sendable, Equatable {
    public var day: SimpleDate, workerId: Int64, memberName: String
    public var departMinute: Int, returnMinute: Int, travelMinutes: Int
    public var stops: [RoundsStop]
}

public struct RoundsPlan: Sendable, Equatable {
    public var routes: [RoundsRoute]
    public var unplanned: [(visit: RoundsVisit, reason: String)]

    public static func == (a: RoundsPlan, b: RoundsPlan) -> Bool {
        a.routes == b.routes && a.unplanned.map(\.visit) == b.unplanned.map(\.visit) && a.unplanned.map(\.reason) == b.unplanned.map(\.reason)
    }
}

/// Turns a team's due visits into a week of routed day plans. Day by day, in order, and block by block
/// within a day (a member-day is its free blocks: the morning, the afternoon after lunch, what clinic
/// sessions leave), the members free in that block get one route each from a prize-collecting VRP with
/// time windows (GridcareRouting): every visit's prize is its urgency (alerts, red tier, follow-ups after
/// a reading or discharge, days overdue), so when time is short the most urgent are kept and the earliest
/// days go to them; what a block leaves carries to the next. Members with the same block share one solve
/// (the solver's routes are alike). Where a visit fits is `startTimes(_:in:)` alone.
public struct RoundsPlanner: Sendable {
    public var rules: RoundsRules
    public var centre: (latitude: Double, longitude: Double)
    public var seed: UInt64 = 1
    /// Bounds each solve by ruin-and-recreate iterations as well as time, so a plan is reproducible for a
    /// seed whatever the machine's speed (tests); nil: time alone.
    public var maxIterations: Int?
    /// Raised when the plan is no longer wanted: the solve under way stops and no further day is solved.
    public var stop: StopFlag?

    public init(rules: RoundsRules, centre: (latitude: Double, longitude: Double)) {
        self.rules = rules
        self.centre = centre
    }

    /// What skipping a visit costs, in minutes of travel it is worth: the planner's idea of urgency.
    public func priority(_ v: RoundsVisit) -> Int {
        var p = 600 + 30 * min(max(v.overdueDays, 0), 90)
        if v.alert { p += 1200 }
        if v.tier == .red { p += 600 } else if v.tier == .yellow { p += 200 }
        if v.rule == DueRule.followUpAfterDischarge.rawValue || v.rule == DueRule.followUpAfterReading.rawValue { p += 600 }
        if v.visit == .homeVisit { p += 300 }
        return p
    }

    /// The solves of one day: each free block of the members free that day, with the members who have
    /// it, earliest first.
    public func blocks(of members: [RoundsMember], on day: SimpleDate) -> [(block: ClosedRange<Int>, members: [RoundsMember])] {
        var groups: [ClosedRange<Int>: [RoundsMember]] = [:]
        for m in members { for b in m.hours[day] ?? [] { groups[b, default: []].append(m) } }
        return groups.sorted { ($0.key.lowerBound, $0.key.upperBound) < ($1.key.lowerBound, $1.key.upperBound) }.map { ($0.key, $0.value) }
    }

    public func plan(visits: [RoundsVisit], members: [RoundsMember], days: [SimpleDate]) -> RoundsPlan {
        // A window shorter than the visit holds it on no day: it is never offered to the solver.
        var pending = visits.indices.filter { windowTooShort(visits[$0]) == nil }
        var served = Set<Int>()
        var routes: [RoundsRoute] = []
        let solves = max(1, days.reduce(0) { n, day in n + blocks(of: members, on: day).count })
        let secondsEach = rules.solverSeconds / Double(solves)
        for day in days where !pending.isEmpty && stop?.isRaised != true {
            for (block, group) in blocks(of: members, on: day) where !pending.isEmpty && stop?.isRaised != true {
                let candidates = pending.filter { startTimes(visits[$0], in: block) != nil }
                guard !candidates.isEmpty else { continue }
                let (blockRoutes, taken) = solve(candidates.map { visits[$0] }, block: block, members: group, day: day, seconds: secondsEach)
                routes += blockRoutes
                let done = Set(taken.map { candidates[$0] })
                served.formUnion(done)
                pending.removeAll { done.contains($0) }
            }
        }
        routes.sort { ($0.day, $0.memberName, $0.workerId, $0.departMinute) < ($1.day, $1.memberName, $1.workerId, $1.departMinute) }
        // Stops are numbered through the member's day.
        var numbered: [String: Int] = [:]
        for r in routes.indices {
            let key = "\(routes[r].day.iso)-\(routes[r].workerId)"
            for s in routes[r].stops.indices {
                numbered[key, default: 0] += 1
                routes[r].stops[s].seq = numbered[key]!
            }
        }
        let unplanned = visits.indices.filter { !served.contains($0) }.map {
            (visit: visits[$0], reason: reason(visits[$0], members: members, days: days))
        }
        return RoundsPlan(routes: routes, unplanned: unplanned)
    }

    /// Plane coordinates in tenths of travel minutes, so the solver's Euclidean distances are travel times.
    func point(_ latitude: Double, _ longitude: Double) -> (x: Double, y: Double) {
        let x = metresBetween(centre.latitude, centre.longitude, centre.latitude, longitude) * (longitude < centre.longitude ? -1 : 1)
        let y = metresBetween(centre.latitude, centre.longitude, latitude, centre.longitude) * (latitude < centre.latitude ? -1 : 1)
        return (rules.travelMinutes(metres: x), rules.travelMinutes(metres: y))
    }

    /// Travel between the centre and the visit, in tenths of a minute, exactly as the routing instance has it.
    func travelTenths(_ v: RoundsVisit) -> Int {
        let p = point(v.latitude, v.longitude)
        return Int((10 * (p.x * p.x + p.y * p.y).squareRoot()).rounded(.down))
    }

    /// The start times at which visit `v` fits one free block of a member-day, in tenths of a minute after
    /// midnight (the solver's unit): leaving the centre at the block's start at the earliest, the whole
    /// visit inside the resident's window (when they have one), and back at the centre by the block's end.
    /// Nil when no start time does. This is the one owner of that rule: the solver's instance (so the plan
    /// and the VRPLIB export) and the reasons given for what was not planned all ask it.
    public func startTimes(_ v: RoundsVisit, in block: ClosedRange<Int>) -> ClosedRange<Int>? {
        let there = travelTenths(v)
        let duration = rules.minutes(v) * 10
        let window = v.window ?? block
        let earliest = max(block.lowerBound * 10 + there, window.lowerBound * 10)
        let latest = min(block.upperBound * 10 - there, window.upperBound * 10) - duration
        return earliest <= latest ? earliest...latest : nil
    }

    /// The same for a member's whole day: the start times in each of its blocks that can hold the visit.
    public func startTimes(_ v: RoundsVisit, member: RoundsMember, day: SimpleDate) -> [ClosedRange<Int>] {
        (member.hours[day] ?? []).compactMap { startTimes(v, in: $0) }
    }

    /// The routing instance of one block's solve (times in tenths of minutes after midnight): the visits
    /// that fit the block (`startTimes`), each with the start times it fits at as its window; visits that
    /// fit nowhere in the block are left out, so clients follow `visits` less those.
    public func instance(_ visits: [RoundsVisit], hours block: ClosedRange<Int>, vehicles: Int, name: String = "rounds") -> Instance {
        let clients = visits.compactMap { v -> Client? in
            guard let starts = startTimes(v, in: block) else { return nil }
            let p = point(v.latitude, v.longitude)
            return Client(
                x: p.x,
                y: p.y,
                demand: 0,
                serviceDuration: rules.minutes(v) * 10,
                earliest: starts.lowerBound,
                latest: starts.upperBound,
                prize: priority(v) * 10,
                required: false
            )
        }
        return Instance.euclidean(
            name: name,
            depot: Depot(x: 0, y: 0, earliest: block.lowerBound * 10, latest: block.upperBound * 10),
            clients: clients,
            vehicleCount: vehicles,
            capacity: 1,
            scale: 10
        )
    }

    /// The week as the planner solves it, one instance per day and block (the members free in it are its
    /// vehicles), each holding every visit of the week that fits the block: what `gridcare rounds export` writes.
    public func instances(
        _ visits: [RoundsVisit],
        members: [RoundsMember],
        days: [SimpleDate],
        name: String
    ) -> [(day: SimpleDate, block: ClosedRange<Int>, instance: Instance)] {
        let offered = visits.filter { windowTooShort($0) == nil }
        return days.flatMap { day in
            blocks(of: members, on: day).map { block, group in
                let hhmm = clock(block.lowerBound).replacingOccurrences(of: ":", with: "")
                return (day, block, instance(offered, hours: block, vehicles: group.count, name: "\(name)-\(day.iso)-\(hhmm)"))
            }
        }
    }

    /// Solves one block for its members; `visits` all fit the block. Returns the routes and the indices served.
    func solve(
        _ visits: [RoundsVisit],
        block: ClosedRange<Int>,
        members: [RoundsMember],
        day: SimpleDate,
        seconds: Double
    ) -> ([RoundsRoute], Set<Int>) {
        let inst = instance(visits, hours: block, vehicles: members.count)
        precondition(inst.clients.count == visits.count, "solve is given only visits that fit the block")
        let options = SolverOptions(
            timeLimit: .milliseconds(Int64(max(20, seconds * 1000))),
            seed: seed &+ UInt64(day.dayNumber),
            maxIterations: maxIterations,
            stop: stop
        )
        let solution = Solver(instance: inst, options: options).solve()
        var served = Set<Int>()
        var routes: [RoundsRoute] = []
        for (route, member) in zip(solution.routes.filter { !$0.isEmpty }, members) {
            var t = block.lowerBound * 10
            var previous = 0
            var travel = 0
            var stops: [RoundsStop] = []
            for node in route {
                let c = inst.clients[node - 1]
                travel += inst.distance(previous, node)
                let arrive = max(t + inst.distance(previous, node), c.earliest)
                t = arrive + c.serviceDuration
                stops.append(RoundsStop(visit: visits[node - 1], arriveMinute: arrive / 10, leaveMinute: t / 10, seq: 0))
                served.insert(node - 1)
                previous = node
            }
            travel += inst.distance(previous, 0)
            routes.append(
                RoundsRoute(
                    day: day,
                    workerId: member.workerId,
                    memberName: member.name,
                    departMinute: block.lowerBound,
                    returnMinute: (t + inst.distance(previous, 0) + 9) / 10,
                    travelMinutes: (travel + 9) / 10,
                    stops: stops
                )
            )
        }
        return (routes, served)
    }

    /// Why a window cannot hold its visit at all, or nil when it can.
    func windowTooShort(_ v: RoundsVisit) -> String? {
        guard let w = v.window, w.upperBound - w.lowerBound < rules.minutes(v) else { return nil }
        return "the resident is in only \(clock(w.lowerBound))–\(clock(w.upperBound)) (\(w.upperBound - w.lowerBound) minutes), "
            + "shorter than the visit's \(rules.minutes(v)) minutes: widen their availability to plan it"
    }

    /// Why a visit stayed out: its window cannot hold it, it fits no member-day's free block alone, or it
    /// would have (so the week ran out of time). The same `startTimes` the solver was given decides.
    func reason(_ v: RoundsVisit, members: [RoundsMember], days: [SimpleDate]) -> String {
        if let short = windowTooShort(v) { return short }
        let blocks = days.flatMap { day in members.flatMap { $0.hours[day] ?? [] } }
        if blocks.isEmpty { return "no member of the team has rounds hours this week" }
        if blocks.contains(where: { startTimes(v, in: $0) != nil }) { return "no time left this week: more urgent visits filled the rounds hours" }
        let away = (travelTenths(v) + 9) / 10
        let minutes = rules.minutes(v)
        if let w = v.window {
            return "cannot fit any member-day this week: the resident is in \(clock(w.lowerBound))–\(clock(w.upperBound)), and no free block "
                + "of the rounds hours holds the visit's \(minutes) minutes there with \(away) minutes' travel each way"
        }
        return "cannot fit any member-day this week: \(away) minutes' travel each way and the visit's \(minutes) minutes fit no free block "
            + "of the rounds hours"
    }
}

/// Minutes after midnight as HH:MM.
public func clock(_ minute: Int) -> String {
    let h = minute / 60
    let m = minute % 60
    return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
}
