import Foundation

/// The planner's figures (`rules.rounds.*`); this type is their one owner.
public struct RoundsRules: Sendable, Equatable {
    /// The working day, minutes after midnight (08:00–17:30).
    public var dayStartMinute = 8 * 60
    public var dayEndMinute = 17 * 60 + 30
    /// The lunch break, when no visit is made: the doctor is back at the station (12:00–13:30; equal ends: none).
    public var lunchStartMinute = 12 * 60
    public var lunchEndMinute = 13 * 60 + 30
    /// A free block shorter than this is no rounds time (there and back would leave no visit).
    public var minimumBlockMinutes = 60
    /// Minutes a visit takes at the door, by kind.
    public var visitMinutes: [VisitKind: Int] = [.homeVisit: 40, .doctorFollowUp: 30, .annualCheck: 45, .welfareVisit: 20]
    /// Travel speed between households (village doctors ride e-bikes), km/h.
    public var speedKmh = 15.0
    /// Roads are longer than straight lines by about this much.
    public var detour = 1.3
    /// Seconds the solver may spend on one team's week.
    public var solverSeconds = 2.0

    public init() {}

    public func minutes(_ visit: VisitKind) -> Int { visitMinutes[visit] ?? 30 }

    /// A stop's minutes: every visit made there.
    public func minutes(_ v: RoundsVisit) -> Int { ([v.visit] + v.also).reduce(0) { $0 + minutes($1) } }

    /// A member-day's free blocks, in order: the working day less the given clinic sessions and the lunch
    /// break, each block at least `minimumBlockMinutes` long. Each is a route from the centre and back.
    public func freeBlocks(less sessions: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var free: [ClosedRange<Int>] = [dayStartMinute...dayEndMinute]
        let lunch = lunchStartMinute < lunchEndMinute ? [lunchStartMinute...lunchEndMinute] : []
        for b in sessions + lunch {
            free = free.flatMap { f -> [ClosedRange<Int>] in
                guard b.overlaps(f) else { return [f] }
                var parts: [ClosedRange<Int>] = []
                if b.lowerBound > f.lowerBound { parts.append(f.lowerBound...b.lowerBound) }
                if b.upperBound < f.upperBound { parts.append(b.upperBound...f.upperBound) }
                return parts
            }
        }
        return free.filter { $0.upperBound - $0.lowerBound >= max(1, minimumBlockMinutes) }.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Travel minutes between two points, from straight-line metres.
    public func travelMinutes(metres: Double) -> Double { metres * detour / (speedKmh * 1000 / 60) }
}

/// Metres between two coordinates (equirectangular: a micro-grid or a team's catchment is small).
public func metresBetween(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
    let k = Double.pi / 180
    let x = (lon2 - lon1) * k * cos((lat1 + lat2) / 2 * k) * 6_371_000
    let y = (lat2 - lat1) * k * 6_371_000
    return (x * x + y * y).squareRoot()
}

/// An ISO week such as 2026-W49, by its Monday.
public struct ISOWeek: Sendable, Equatable, CustomStringConvertible {
    public var monday: SimpleDate

    public init(monday: SimpleDate) { self.monday = monday }

    /// Reads `YYYY-Www`; nil when malformed or the week does not exist in that year.
    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let year = Int(parts[0]), parts[1].first == "W", let week = Int(parts[1].dropFirst()),
            (1...53).contains(week), (1900...2200).contains(year), let jan4 = SimpleDate(year: year, month: 1, day: 4)
        else { return nil }
        let monday = jan4.adding(days: 1 - jan4.isoWeekday + 7 * (week - 1))
        guard ISOWeek(containing: monday).description == String(format: "%04d-W%02d", year, week) else { return nil }
        self.monday = monday
    }

    /// The week a day falls in.
    public init(containing day: SimpleDate) { monday = day.adding(days: 1 - day.isoWeekday) }

    public var days: [SimpleDate] { (0..<7).map { monday.adding(days: $0) } }

    public var description: String {
        let thursday = monday.adding(days: 3)
        let jan4 = SimpleDate(year: thursday.year, month: 1, day: 4)!
        let firstMonday = jan4.adding(days: 1 - jan4.isoWeekday)
        return String(format: "%04d-W%02d", thursday.year, (thursday.dayNumber - firstMonday.dayNumber) / 7 + 1)
    }
}
