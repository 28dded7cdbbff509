/// China's official holidays and make-up workdays (调休), one file per year in Config/holidays/
/// (the format of ../shared/data/holidays-cn-2026.yaml). An administrator adds a year when the State
/// Council announces it; `covers(_:)` says whether a day falls in a known year, so generators can warn.
public struct HolidayCalendar: Sendable, Equatable {
    public struct Period: Sendable, Equatable {
        public var name: String
        public var off: ClosedRange<SimpleDate>
        public var work: [SimpleDate]
    }

    public private(set) var years: Set<Int> = []
    public private(set) var periods: [Period] = []
    var offDays: [SimpleDate: String] = [:]
    var workDays: Set<SimpleDate> = []

    public init() {}

    /// Reads one year's file. Errors name the line.
    public mutating func add(yaml text: String, file: String = "calendar") throws(FieldError) {
        var year: Int?
        var current: Period?
        var pendingName: String?
        func finish() {
            if let p = current { periods.append(p) }
            current = nil
        }
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?.trimmed ?? ""
            let here = "\(file):\(index + 1)"
            if line.isEmpty { continue }
            if line.hasPrefix("year:") {
                guard let y = Int(String(line.dropFirst(5)).trimmed) else { throw FieldError(here, "year must be a number") }
                year = y
            } else if line.hasPrefix("- name:") {
                finish()
                pendingName = String(line.dropFirst(7)).trimmed
            } else if line.hasPrefix("off:") {
                let days = try Self.dates(line.dropFirst(4), at: here)
                guard days.count == 2, days[0] <= days[1] else { throw FieldError(here, "off must be [first, last]") }
                current = Period(name: pendingName ?? "holiday", off: days[0]...days[1], work: [])
            } else if line.hasPrefix("work:") {
                guard current != nil else { throw FieldError(here, "work comes after off") }
                current!.work = try Self.dates(line.dropFirst(5), at: here)
            } else if line.hasPrefix("source:") || line == "holidays:" {
                continue
            } else {
                throw FieldError(here, "unexpected line")
            }
        }
        finish()
        guard let year else { throw FieldError(file, "has no year") }
        years.insert(year)
        for p in periods {
            var d = p.off.lowerBound
            while d <= p.off.upperBound {
                offDays[d] = p.name
                d = d.adding(days: 1)
            }
            workDays.formUnion(p.work)
        }
    }

    static func dates(_ s: Substring, at place: String) throws(FieldError) -> [SimpleDate] {
        let inner = String(s).trimmed
        guard inner.hasPrefix("["), inner.hasSuffix("]") else { throw FieldError(place, "expected a list like [2026-01-01, 2026-01-03]") }
        let items = inner.dropFirst().dropLast().split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        var out: [SimpleDate] = []
        for item in items {
            guard let d = SimpleDate(iso: item) else { throw FieldError(place, "\(item) is not a date YYYY-MM-DD") }
            out.append(d)
        }
        return out
    }

    /// Whether the calendar knows the day's year at all.
    public func covers(_ day: SimpleDate) -> Bool { years.contains(day.year) }

    /// The holiday's name when `day` is an official day off.
    public func holiday(on day: SimpleDate) -> String? { offDays[day] }

    /// A weekend day that is a working day by the State Council's schedule.
    public func isMakeUpWorkday(_ day: SimpleDate) -> Bool { workDays.contains(day) }

    /// Whether people work on `day`: weekdays that are not holidays, and make-up days.
    public func isWorkday(_ day: SimpleDate) -> Bool {
        if offDays[day] != nil { return false }
        return day.isoWeekday <= 5 || workDays.contains(day)
    }

    /// The weekday timetable a make-up day follows: that of the weekday day off in its holiday period
    /// nearest to it (2026-01-04, a Sunday, stands in for Friday 2026-01-02). Nil for an ordinary day.
    public func timetableWeekday(of day: SimpleDate) -> Int? {
        guard workDays.contains(day), let period = periods.first(where: { $0.work.contains(day) }) else { return nil }
        var candidates: [SimpleDate] = []
        var d = period.off.lowerBound
        while d <= period.off.upperBound {
            if d.isoWeekday <= 5 { candidates.append(d) }
            d = d.adding(days: 1)
        }
        return candidates.min { abs($0.dayNumber - day.dayNumber) < abs($1.dayNumber - day.dayNumber) }?.isoWeekday
    }
}
