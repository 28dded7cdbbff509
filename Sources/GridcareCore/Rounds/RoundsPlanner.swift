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

    public init(residentId: Int64, residentName: String, address: String, latitude: Double, longitude: Double, visit: VisitKind, rule: String,
                dueOn: SimpleDate, overdueDays: Int, tier: Tier?, alert: Bool, window: ClosedRange<Int>?) {
        self.residentId = residentId; self.residentName = residentName; self.address = address; self.latitude = latitude
        self.longitude = longitude; self.visit = visit; self.rule = rule; self.dueOn = dueOn; self.overdueDays = overdueDays
        self.tier = tier; self.alert = alert; self.window = window
    }
}

/// A team member who makes rounds, and the hours they have for them on each day of the week.
public struct RoundsMember: Sendable, Equatable {
    public var workerId: Int64, name: String
    /// Day → free minutes (working hours less clinic sessions); a day missing here is not a rounds day.
    public var hours: [SimpleDate: ClosedRange<Int>]
    public init(workerId: Int64, name: String, hours: [SimpleDate: ClosedRange<Int>]) {
        self.workerId = workerId; self.name = name; self.hours = hours
    }
}

public struct RoundsStop: Sendable, Equatable {
    public var visit: RoundsVisit, arriveMinute: Int, leaveMinute: Int
}

/// One member's route on one day, from the centre and back.
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

/// Turns a team's due visits into a week of routed day plans. Day by day, in order, the members free that
/// day get one route each from a prize-collecting VRP with time windows (GridcareRouting): every visit's
/// prize is its urgency (alerts, red tier, follow-ups after a reading or discharge, days overdue), so when
/// time is short the most urgent are kept and the earliest days go to them; what a day leaves carries to
/// the next. Members with the same hours that day share one solve (the solver's routes are alike).
public struct RoundsPlanner: Sendable {
    public var rules: RoundsRules
    public var centre: (latitude: Double, longitude: Double)
    public var seed: UInt64 = 1
    /// Raised when the plan is no longer wanted: the solve under way stops and no further day is solved.
    public var stop: StopFlag?

    public init(rules: RoundsRules, centre: (latitude: Double, longitude: Double)) { self.rules = rules; self.centre = centre }

    /// What skipping a visit costs, in minutes of travel it is worth: the planner's idea of urgency.
    public func priority(_ v: RoundsVisit) -> Int {
        var p = 600 + 30 * min(max(v.overdueDays, 0), 90)
        if v.alert { p += 1200 }
        if v.tier == .red { p += 600 } else if v.tier == .yellow { p += 200 }
        if v.rule == DueRule.followUpAfterDischarge.rawValue || v.rule == DueRule.followUpAfterReading.rawValue { p += 600 }
        if v.visit == .homeVisit { p += 300 }
        return p
    }

    public func plan(visits: [RoundsVisit], members: [RoundsMember], days: [SimpleDate]) -> RoundsPlan {
        var pending = visits
        var routes: [RoundsRoute] = []
        let solves = max(1, days.reduce(0) { n, day in n + Set(members.compactMap { $0.hours[day] }.map { "\($0)" }).count })
        let secondsEach = rules.solverSeconds / Double(solves)
        for day in days where !pending.isEmpty && stop?.isRaised != true {
            // Members free the same hours share a solve.
            var groups: [ClosedRange<Int>: [RoundsMember]] = [:]
            for m in members { if let h = m.hours[day] { groups[h, default: []].append(m) } }
            for (hours, group) in groups.sorted(by: { $0.key.lowerBound < $1.key.lowerBound }) where !pending.isEmpty && stop?.isRaised != true {
                let (dayRoutes, served) = solve(pending, hours: hours, members: group, day: day, seconds: secondsEach)
                routes += dayRoutes
                pending = pending.enumerated().filter { !served.contains($0.offset) }.map(\.element)
            }
        }
        let unplanned = pending.map { v in (visit: v, reason: reason(v, members: members, days: days)) }
        return RoundsPlan(routes: routes.sorted { ($0.day, $0.memberName, $0.workerId) < ($1.day, $1.memberName, $1.workerId) },
                          unplanned: unplanned)
    }

    /// Plane coordinates in tenths of travel minutes, so the solver's Euclidean distances are travel times.
    func point(_ latitude: Double, _ longitude: Double) -> (x: Double, y: Double) {
        let x = metresBetween(centre.latitude, centre.longitude, centre.latitude, longitude) * (longitude < centre.longitude ? -1 : 1)
        let y = metresBetween(centre.latitude, centre.longitude, latitude, centre.longitude) * (latitude < centre.latitude ? -1 : 1)
        return (rules.travelMinutes(metres: x), rules.travelMinutes(metres: y))
    }

    /// The routing instance of one day's solve (times in tenths of minutes after midnight).
    public func instance(_ visits: [RoundsVisit], hours: ClosedRange<Int>, vehicles: Int, name: String = "rounds") -> Instance {
        let clients = visits.map { v -> Client in
            let p = point(v.latitude, v.longitude)
            let duration = rules.minutes(v)
            let window = v.window ?? hours
            return Client(x: p.x, y: p.y, demand: 0, serviceDuration: duration * 10, earliest: window.lowerBound * 10,
                          latest: max(window.lowerBound, window.upperBound - duration) * 10, prize: priority(v) * 10, required: false)
        }
        return Instance.euclidean(name: name, depot: Depot(x: 0, y: 0, earliest: hours.lowerBound * 10, latest: hours.upperBound * 10),
                                  clients: clients, vehicleCount: vehicles, capacity: 1, scale: 10)
    }

    func solve(_ visits: [RoundsVisit], hours: ClosedRange<Int>, members: [RoundsMember], day: SimpleDate,
               seconds: Double) -> ([RoundsRoute], Set<Int>) {
        let inst = instance(visits, hours: hours, vehicles: members.count)
        let options = SolverOptions(timeLimit: .milliseconds(Int64(max(20, seconds * 1000))), seed: seed &+ UInt64(day.dayNumber), stop: stop)
        let solution = Solver(instance: inst, options: options).solve()
        var served = Set<Int>()
        var routes: [RoundsRoute] = []
        for (route, member) in zip(solution.routes.filter { !$0.isEmpty }, members) {
            var t = hours.lowerBound * 10, previous = 0, travel = 0
            var stops: [RoundsStop] = []
            for node in route {
                let c = inst.clients[node - 1]
                travel += inst.distance(previous, node)
                let arrive = max(t + inst.distance(previous, node), c.earliest)
                t = arrive + c.serviceDuration
                stops.append(RoundsStop(visit: visits[node - 1], arriveMinute: arrive / 10, leaveMinute: t / 10))
                served.insert(node - 1)
                previous = node
            }
            travel += inst.distance(previous, 0)
            routes.append(RoundsRoute(day: day, workerId: member.workerId, memberName: member.name, departMinute: hours.lowerBound,
                                      returnMinute: (t + inst.distance(previous, 0) + 9) / 10, travelMinutes: (travel + 9) / 10, stops: stops))
        }
        return (routes, served)
    }

    /// Why a visit stayed out: it cannot fit any member's day at all, or the week ran out of time.
    func reason(_ v: RoundsVisit, members: [RoundsMember], days: [SimpleDate]) -> String {
        let hours = days.flatMap { day in members.compactMap { $0.hours[day] } }
        if hours.isEmpty { return "no member of the team has rounds hours this week" }
        let p = point(v.latitude, v.longitude)
        let there = Int(((p.x * p.x + p.y * p.y).squareRoot()).rounded(.up))
        let duration = rules.minutes(v)
        let fits = hours.contains { h in
            let open = max(v.window?.lowerBound ?? h.lowerBound, h.lowerBound), close = min(v.window?.upperBound ?? h.upperBound, h.upperBound)
            let start = max(h.lowerBound + there, open)
            return start + duration <= close && start + duration + there <= h.upperBound
        }
        if !fits {
            if let w = v.window { return "the resident is in \(clock(w.lowerBound))–\(clock(w.upperBound)), which leaves no time on any rounds day this week" }
            return "too far to reach and return within a rounds day (\(there) minutes each way)"
        }
        return "no time left this week: more urgent visits filled the rounds hours"
    }
}

/// Minutes after midnight as HH:MM.
public func clock(_ minute: Int) -> String {
    let h = minute / 60, m = minute % 60
    return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
}
