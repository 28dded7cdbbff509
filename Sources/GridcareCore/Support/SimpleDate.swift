import Foundation

/// A calendar date without a time zone (a birth date, a contract's first day).
public struct SimpleDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYYMMDD`.
    public init?(yyyymmdd: String) {
        self.init(digits: Array(yyyymmdd.utf8)[...])
    }

    /// Parses eight ASCII digits `YYYYMMDD`.
    init?(digits b: ArraySlice<UInt8>) {
        guard b.count == 8, b.allSatisfy(isDigit) else { return nil }
        let i = b.startIndex
        func n(_ from: Int, _ len: Int) -> Int { b[(i + from)..<(i + from + len)].reduce(0) { $0 * 10 + Int($1 - 48) } }
        self.init(year: n(0, 4), month: n(4, 2), day: n(6, 2))
    }

    /// Parses ISO `YYYY-MM-DD`.
    public init?(iso: String) {
        var b = Array(iso.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        b.remove(at: 7)
        b.remove(at: 4)
        self.init(digits: b[...])
    }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public var yyyymmdd: String { pad(year, 4) + pad(month, 2) + pad(day, 2) }
    public var iso: String { pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) }
    public var description: String { iso }

    /// Days since 1970-01-01 (proleptic Gregorian), for date arithmetic without Foundation's calendar.
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// ISO weekday: 1 Monday … 7 Sunday (1970-01-01 was a Thursday).
    public var isoWeekday: Int { ((dayNumber + 3) % 7 + 7) % 7 + 1 }

    public init(dayNumber z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// Today in China (UTC+8 all year, no daylight saving since 1991): plain arithmetic, because building a
    /// Calendar on every request showed up in the read benchmark.
    public static func todayInChina(now: Date = Date()) -> SimpleDate {
        SimpleDate(dayNumber: Int(((now.timeIntervalSince1970 + 8 * 3600) / 86_400).rounded(.down)))
    }

    public func adding(days: Int) -> SimpleDate { SimpleDate(dayNumber: dayNumber + days) }

    /// Midnight at the start of this day in China (UTC+8).
    public var startInChina: Date { Date(timeIntervalSince1970: TimeInterval(dayNumber) * 86_400 - 8 * 3600) }

    /// The same day `years` later; 29 February becomes 28 February in a common year.
    public func adding(years: Int) -> SimpleDate {
        let y = year + years
        return SimpleDate(year: y, month: month, day: min(day, Self.daysIn(month: month, year: y)))!
    }

    /// Whole years from `self` to `other` (an age).
    public func years(until other: SimpleDate) -> Int {
        var age = other.year - year
        if (other.month, other.day) < (month, day) { age -= 1 }
        return age
    }

    public static func < (a: SimpleDate, b: SimpleDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let d = SimpleDate(iso: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected YYYY-MM-DD"))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(iso)
    }
}
