import Foundation

/// One planned stop as people read it (the printable table, CSV, JSON and calendar all come from these).
public struct RoundsRow: Sendable, Equatable {
    public var day: SimpleDate, member: String, seq: Int, arrive: Int, leave: Int
    public var residentId: Int64, resident: String, address: String, visit: String, rule: String, status: String
    public var uid: String
    /// The stop's route: departure from the centre and return to it (nil for plans saved before routes were kept).
    public var route: ClosedRange<Int>?

    public init(
        day: SimpleDate,
        member: String,
        seq: Int,
        arrive: Int,
        leave: Int,
        residentId: Int64,
        resident: String,
        address: String,
        visit: String,
        rule: String,
        status: String,
        uid: String,
        route: ClosedRange<Int>? = nil
    ) {
        self.day = day
        self.member = member
        self.seq = seq
        self.arrive = arrive
        self.leave = leave
        self.residentId = residentId
        self.resident = resident
        self.address = address
        self.visit = visit
        self.rule = rule
        self.status = status
        self.uid = uid
        self.route = route
    }

    /// The route as people read it, "08:00–11:42" ("" when unknown).
    public var routeText: String { route.map { "\(clock($0.lowerBound))–\(clock($0.upperBound))" } ?? "" }

    /// The rows of a plan, day by day and member by member.
    public static func rows(_ plan: RoundsPlan) -> [RoundsRow] {
        plan.routes.flatMap { r in
            r.stops.map { s in
                RoundsRow(
                    day: r.day,
                    member: r.memberName,
                    seq: s.seq,
                    arrive: s.arriveMinute,
                    leave: s.leaveMinute,
                    residentId: s.visit.residentId,
                    resident: s.visit.residentName,
                    address: s.visit.address,
                    visit: ([s.visit.visit] + s.visit.also).map(\.rawValue).joined(separator: "+"),
                    rule: s.visit.rule,
                    status: "planned",
                    uid: "\(r.day.iso)-\(r.workerId)-\(s.seq)-\(s.visit.residentId)",
                    route: r.departMinute...r.returnMinute
                )
            }
        }
    }
}

/// A week of rounds as an iCalendar file (RFC 5545) a phone's calendar imports: one event per visit, in
/// China time (a fixed UTC+8 zone, so no VTIMEZONE is needed: times are written in UTC). `stamp` is when
/// the calendar is produced, every event's DTSTAMP (RFC 5545 3.8.7.2).
public enum RoundsCalendar {
    public static func ics(_ rows: [RoundsRow], name: String, stamp: Date = Date()) -> String {
        func instant(_ d: Date) -> String {
            let seconds = Int(d.timeIntervalSince1970.rounded(.down))
            let utcDay = SimpleDate(dayNumber: Int((Double(seconds) / 86_400).rounded(.down)))
            let s = ((seconds % 86_400) + 86_400) % 86_400
            return utcDay.iso.replacingOccurrences(of: "-", with: "") + "T" + String(format: "%02d%02d%02dZ", s / 3600, s % 3600 / 60, s % 60)
        }
        func utc(_ day: SimpleDate, _ minute: Int) -> String {
            instant(Date(timeIntervalSince1970: day.startInChina.timeIntervalSince1970 + Double(minute * 60)))
        }
        func text(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ";", with: "\\;")
                .replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(of: "\n", with: "\\n")
        }
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Gridcare//Rounds//ZH", "CALSCALE:GREGORIAN", "X-WR-CALNAME:\(text(name))"]
        for r in rows {
            lines += [
                "BEGIN:VEVENT", "UID:\(r.uid)@gridcare", "DTSTAMP:\(instant(stamp))", "DTSTART:\(utc(r.day, r.arrive))",
                "DTEND:\(utc(r.day, r.leave))",
                "SUMMARY:\(text("\(r.visit) · \(r.resident)"))", "LOCATION:\(text(r.address))",
                "DESCRIPTION:\(text("\(r.member), stop \(r.seq)\(r.route == nil ? "" : " (route \(r.routeText))"); rule \(r.rule); resident \(r.residentId)"))",
                "END:VEVENT",
            ]
        }
        lines.append("END:VCALENDAR")
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
