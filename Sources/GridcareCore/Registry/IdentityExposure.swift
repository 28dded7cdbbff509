/// What a view of a resident shows that bears on their identity number, and how many valid numbers are
/// left for someone who combines all of it. The region is taken as known (it follows from the address).
/// Views other than the few full-number ones must leave at least `IdentityExposure.floor`.
public struct IdentityExposure: Sendable {
    /// The 6-digit region code, assumed known.
    public var region: String
    public var birthDate: SimpleDate?
    public var birthYear: Int?
    /// An age in whole years on a given day.
    public var age: (years: Int, on: SimpleDate)?
    public var isMale: Bool?
    /// The masked number as shown, `*` for a hidden character.
    public var masked: String?

    /// The fewest candidates a masked view may leave.
    public static let floor = 1_000

    public init(region: String, birthDate: SimpleDate? = nil, birthYear: Int? = nil, age: (years: Int, on: SimpleDate)? = nil,
                isMale: Bool? = nil, masked: String? = nil) {
        self.region = region; self.birthDate = birthDate; self.birthYear = birthYear; self.age = age
        self.isMale = isMale; self.masked = masked
    }

    /// The birth dates the view allows: one date, a calendar year, an age's span of a year, or their overlap.
    var birthDates: [SimpleDate] {
        if let birthDate { return [birthDate] }
        var lower = SimpleDate(year: 1900, month: 1, day: 1)!, upper = SimpleDate(year: 2100, month: 12, day: 31)!
        if let y = birthYear { lower = max(lower, SimpleDate(year: y, month: 1, day: 1)!); upper = min(upper, SimpleDate(year: y, month: 12, day: 31)!) }
        if let (years, on) = age {
            // Aged `years` on `on`: born after on−(years+1) years and on or before on−years.
            lower = max(lower, on.adding(years: -(years + 1)).adding(days: 1)); upper = min(upper, on.adding(years: -years))
        }
        guard lower <= upper else { return [] }
        return (lower.dayNumber...upper.dayNumber).map(SimpleDate.init(dayNumber:))
    }

    /// Every number with a valid check digit that agrees with all the view shows.
    public func candidates() -> Int {
        let shown: [Character?] = masked.map { Array($0).map { $0 == "*" ? nil : $0 } } ?? Array(repeating: nil, count: 18)
        guard shown.count == 18 else { return 0 }
        let regionChars = Array(region)
        for i in 0..<6 where shown[i] != nil && shown[i] != regionChars[i] { return 0 }
        var count = 0
        for date in birthDates {
            let dateChars = Array(date.yyyymmdd)
            guard (6..<14).allSatisfy({ shown[$0] == nil || shown[$0] == dateChars[$0 - 6] }) else { continue }
            let body14 = regionChars + dateChars
            for sequence in 0..<1000 {
                if let isMale, (sequence % 2 == 1) != isMale { continue }
                let seq = Array(String(sequence + 1000).dropFirst())
                guard (14..<17).allSatisfy({ shown[$0] == nil || shown[$0] == seq[$0 - 14] }) else { continue }
                let check = IDCardNumber.checkCharacter(for: body14 + seq)
                if shown[17] == nil || shown[17] == check { count += 1 }
            }
        }
        return count
    }
}
