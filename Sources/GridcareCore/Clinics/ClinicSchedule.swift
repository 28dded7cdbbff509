/// A weekly fixed-day clinic as a rule: "every Wednesday 09:00–11:30", slots of `slotMinutes` with
/// `capacityPerSlot` places each, valid over a span of days.
public struct ClinicRule: Sendable, Equatable {
    public var weekday: Int  // ISO: 1 Monday … 7 Sunday
    public var startMinute: Int  // minutes after midnight, station time
    public var endMinute: Int
    public var slotMinutes: Int
    public var capacityPerSlot: Int
    public var validFrom: SimpleDate
    public var validUntil: SimpleDate?

    public init(
        weekday: Int,
        startMinute: Int,
        endMinute: Int,
        slotMinutes: Int,
        capacityPerSlot: Int,
        validFrom: SimpleDate,
        validUntil: SimpleDate?
    ) {
        self.weekday = weekday
        self.startMinute = startMinute
        self.endMinute = endMinute
        self.slotMinutes = slotMinutes
        self.capacityPerSlot = capacityPerSlot
        self.validFrom = validFrom
        self.validUntil = validUntil
    }

    public var slots: Int { (endMinute - startMinute) / max(1, slotMinutes) }

    /// Every field problem, named as the API names it.
    public func validate() throws(ValidationFailure) {
        var c = FieldChecker()
        c.require((1...7).contains(weekday), "weekday", "must be 1 (Monday) to 7 (Sunday)")
        c.require((0..<24 * 60).contains(startMinute), "startsAt", "must be a time HH:MM")
        c.require(endMinute > startMinute && endMinute <= 24 * 60, "endsAt", "must be after startsAt, the same day")
        c.require((5...240).contains(slotMinutes), "slotMinutes", "must be 5–240")
        c.require(slotMinutes <= endMinute - startMinute, "slotMinutes", "must fit between startsAt and endsAt")
        c.require((1...100).contains(capacityPerSlot), "capacityPerSlot", "must be 1–100")
        if let until = validUntil { c.require(until >= validFrom, "validUntil", "must not be before validFrom") }
        try c.finish()
    }

    public func isValid(on day: SimpleDate) -> Bool { day >= validFrom && (validUntil.map { day <= $0 } ?? true) }
}

/// What the holiday calendar does to a session that falls on a day off.
public enum HolidayRule: String, Sendable, CaseIterable, Codable {
    /// The session is cancelled; its bookings go on the call list.
    case cancel
    /// The session moves to the next working day of the same week (or is cancelled when there is none).
    case nextWorkday = "next_workday"
}

/// One session the generator plans.
public struct PlannedSession: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case scheduled, cancelled, moved }
    public var day: SimpleDate
    public var status: Status
    /// For a moved session: the day it moved to (a scheduled session is planned there too).
    public var movedTo: SimpleDate?
    public var reason: String?
}

/// Turns a clinic rule into dated sessions over a span, applying holidays and make-up workdays. Pure:
/// the store writes what this returns, so the rules are tested without a database.
public enum SessionPlanner {
    public static func plan(
        _ rule: ClinicRule,
        from: SimpleDate,
        through: SimpleDate,
        calendar: HolidayCalendar,
        onHoliday: HolidayRule
    ) -> [PlannedSession] {
        var out: [PlannedSession] = []
        var taken = Set<SimpleDate>()
        var day = max(from, rule.validFrom)
        let last = min(through, rule.validUntil ?? through)
        while day <= last {
            defer { day = day.adding(days: 1) }
            if let standsFor = calendar.timetableWeekday(of: day), standsFor == rule.weekday, !taken.contains(day) {
                out.append(
                    PlannedSession(
                        day: day,
                        status: .scheduled,
                        movedTo: nil,
                        reason: "make-up workday (调休) keeping the weekday's timetable"
                    )
                )
                taken.insert(day)
                continue
            }
            guard day.isoWeekday == rule.weekday, !calendar.isMakeUpWorkday(day) else { continue }
            guard let holiday = calendar.holiday(on: day) else {
                if !taken.contains(day) {
                    out.append(PlannedSession(day: day, status: .scheduled, movedTo: nil, reason: nil))
                    taken.insert(day)
                }
                continue
            }
            // The next working day of the same week that holds no session of this clinic yet.
            var target: SimpleDate?
            if onHoliday == .nextWorkday {
                var d = day.adding(days: 1)
                while d.isoWeekday != 1 && d <= last {
                    if calendar.isWorkday(d), !taken.contains(d), rule.isValid(on: d) {
                        target = d
                        break
                    }
                    d = d.adding(days: 1)
                }
            }
            if let target {
                out.append(PlannedSession(day: day, status: .moved, movedTo: target, reason: "\(holiday): moved to \(target)"))
                out.append(PlannedSession(day: target, status: .scheduled, movedTo: nil, reason: "moved from \(day) (\(holiday))"))
                taken.insert(target)
            } else {
                out.append(PlannedSession(day: day, status: .cancelled, movedTo: nil, reason: holiday))
            }
        }
        return out.sorted { $0.day < $1.day }
    }
}
