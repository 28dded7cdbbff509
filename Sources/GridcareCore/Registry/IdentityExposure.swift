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

    public init(
        region: String,
        birthDate: SimpleDate? = nil,
        birthYear: Int? = nil,
        age: (years: Int, on: SimpleDate)? = nil,
        isMale: Bool? = nil,
        masked: String? = nil
    ) {
        self.region = region
        self.birthDate = birthDate
        self.birthYear = birthYear
        self.age = age
        self.isMale = isMale
        self.masked = masked
    }

    /// The birth dates the view allows, as day numbers: one date, a calendar year, an age's span of a year,
    /// or their overlap.
    var birthDays: ClosedRange<Int>? {
        if let birthDate { return birthDate.dayNumber...birthDate.dayNumber }
        var lower = SimpleDate(year: 1900, month: 1, day: 1)!
        var upper = SimpleDate(year: 2100, month: 12, day: 31)!
        if let y = birthYear {
            lower = max(lower, SimpleDate(year: y, month: 1, day: 1)!)
            upper = min(upper, SimpleDate(year: y, month: 12, day: 31)!)
        }
        if let (years, on) = age {
            // Aged `years` on `on`: born after on−(years+1) years and on or before on−years.
            lower = max(lower, on.adding(years: -(years + 1)).adding(days: 1))
            upper = min(upper, on.adding(years: -years))
        }
        return lower <= upper ? lower.dayNumber...upper.dayNumber : nil
    }

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432".utf8)

    /// Every number with a valid check digit that agrees with all the view shows. Integer arithmetic over
    /// the digits (tests run it on every response shape, so it must be cheap).
    public func candidates() -> Int {
        let shown: [UInt8?] = masked.map { Array($0.utf8).map { $0 == UInt8(ascii: "*") ? nil : $0 } } ?? Array(repeating: nil, count: 18)
        let region = Array(region.utf8)
        guard shown.count == 18, region.count == 6, let days = birthDays else { return 0 }
        for i in 0..<6 where shown[i] != nil && shown[i] != region[i] { return 0 }
        let w = Self.weights
        let regionSum = (0..<6).reduce(0) { $0 + Int(region[$1] - 48) * w[$1] }
        func digits(_ position: Int) -> [Int] { shown[position].map { [Int($0) - 48] } ?? Array(0...9) }
        let first = digits(14)
        let second = digits(15)
        let last = digits(16).filter { isMale == nil || ($0 % 2 == 1) == isMale! }
        var count = 0
        for day in days {
            let date = Array(SimpleDate(dayNumber: day).yyyymmdd.utf8)
            guard (6..<14).allSatisfy({ shown[$0] == nil || shown[$0] == date[$0 - 6] }) else { continue }
            let base = regionSum + (0..<8).reduce(0) { $0 + Int(date[$1] - 48) * w[6 + $1] }
            for a in first {
                for b in second {
                    for c in last {
                        let check = Self.checkCharacters[(base + a * w[14] + b * w[15] + c * w[16]) % 11]
                        if shown[17] == nil || shown[17] == check { count += 1 }
                    }
                }
            }
        }
        return count
    }
}
