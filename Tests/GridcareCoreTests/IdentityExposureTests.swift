import GridcareCore
import Testing

/// How many valid identity numbers a view leaves, counted by brute force over every birth date and sequence
/// the view allows: the figures behind the mask and behind showing the birth year instead of the date.
@Suite struct IdentityExposureTests {
    let born = SimpleDate(year: 1958, month: 3, day: 14)!
    var number: IDCardNumber { IDCardNumber.make(region: 510104, birth: born, sequence: 123) }

    @Test func theWholeNumberLeavesOnlyItself() {
        #expect(IdentityExposure(region: "510104", masked: number.value).candidates() == 1)
    }

    @Test func theRegionTheBirthDateAndTheSexLeaveFiveHundredWhateverTheMask() {
        // 500 odd (or even) sequences, each with the one check character that fits.
        #expect(IdentityExposure(region: "510104", birthDate: born, isMale: number.isMale).candidates() == 500)
        #expect(
            IdentityExposure(region: "510104", birthDate: born, isMale: number.isMale, masked: number.masked).candidates() < IdentityExposure.floor
        )
    }

    @Test func theOldMaskBesideTheBirthDateGaveTheNumberAway() {
        let old = String(number.value.prefix(6)) + "********" + String(number.value.suffix(4))
        #expect(IdentityExposure(region: "510104", birthDate: born, masked: old).candidates() == 1)
    }

    @Test func theMaskBesideTheBirthYearLeavesMoreThanTheFloor() {
        let n = IdentityExposure(region: "510104", birthYear: born.year, isMale: number.isMale, masked: number.masked).candidates()
        #expect(n >= IdentityExposure.floor)
        #expect(n > 3_000)
        // …and so does the age reached this year (it says the same as the year).
        let today = SimpleDate(year: 2026, month: 12, day: 1)!
        #expect(
            IdentityExposure(region: "510104", age: (today.year - born.year - 1, today), masked: number.masked).candidates()
                >= IdentityExposure.floor
        )
    }

    @Test func theLastFourBesideTheBirthYearWouldLeaveTooFew() {
        let lastFour = String(number.value.prefix(6)) + "********" + String(number.value.suffix(4))
        #expect(IdentityExposure(region: "510104", birthYear: born.year, masked: lastFour).candidates() < 100)
    }

    @Test func anExactAgeAndTheBirthYearTogetherWouldNarrowTheDate() {
        // Aged 67 on 2025-01-05 and born in 1958: born 1958-01-01…1958-01-05. Hence views show the year and the
        // age reached this year, never an exact age beside the year.
        let year = IdentityExposure(region: "510104", birthYear: 1958, masked: number.masked).candidates()
        let both = IdentityExposure(
            region: "510104",
            birthYear: 1958,
            age: (67, SimpleDate(year: 2025, month: 1, day: 5)!),
            masked: number.masked
        ).candidates()
        #expect(both < year / 50)
        #expect(both < IdentityExposure.floor)
    }
}
