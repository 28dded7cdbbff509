import Foundation
import GridcareCore
import Testing

@Suite struct IDCardNumberTests {
    @Test func acceptsTheStandardSampleWithXCheckCharacter() throws {
        let id = try IDCardNumber("11010519491231002x")
        #expect(id.value == "11010519491231002X")
        #expect(id.birthDate == SimpleDate(year: 1949, month: 12, day: 31))
        #expect(!id.isMale)
    }

    @Test func refusesAWrongCheckDigit() {
        #expect(throws: FieldError("idNumber", "check digit does not match")) { try IDCardNumber("110105194912310021") }
    }

    @Test(arguments: ["1101051949123100", "11010519491231002XX", "1101051949123100AX", ""])
    func refusesMalformedNumbers(_ raw: String) {
        #expect(throws: FieldError.self) { try IDCardNumber(raw) }
    }

    @Test func refusesAnImpossibleBirthDate() {
        // 1949-02-30 does not exist; the check digit is computed so only the date is wrong.
        let body = "11010519490230002"
        let raw = body + String(IDCardNumber.checkCharacter(for: Array(body)))
        #expect(throws: FieldError("idNumber", "has an impossible birth date")) { try IDCardNumber(raw) }
    }

    @Test func masksAllButTheRegionAndTheLastTwo() throws {
        let id = try IDCardNumber("11010519491231002X")
        #expect(id.masked == "110105**********2X")
        #expect(id.description == id.masked)
        #expect(!"\(id)".contains("19491231"))
    }

    @Test func madeNumbersAreValidAndCarryTheirSex() throws {
        let birth = SimpleDate(year: 1988, month: 2, day: 29)!
        let male = IDCardNumber.make(region: 510104, birth: birth, sequence: 123)
        #expect(try IDCardNumber(male.value) == male)
        #expect(male.isMale)
        #expect(male.birthDate == birth)
        #expect(!IDCardNumber.make(region: 510104, birth: birth, sequence: 124).isMale)
    }
}

@Suite struct SimpleDateTests {
    @Test func dayNumbersRoundTripAcrossCenturies() {
        for n in stride(from: -80_000, through: 80_000, by: 37) {
            #expect(SimpleDate(dayNumber: n).dayNumber == n)
        }
        #expect(SimpleDate(year: 1970, month: 1, day: 1)!.dayNumber == 0)
        #expect(SimpleDate(year: 2026, month: 11, day: 26)!.adding(days: 36).iso == "2027-01-01")
    }

    @Test func leapDaysAndAges() {
        #expect(SimpleDate(year: 2026, month: 2, day: 29) == nil)
        #expect(SimpleDate(year: 2024, month: 2, day: 29) != nil)
        #expect(SimpleDate(year: 2024, month: 2, day: 29)!.adding(years: 1).iso == "2025-02-28")
        let born = SimpleDate(year: 1961, month: 11, day: 27)!
        #expect(born.years(until: SimpleDate(year: 2026, month: 11, day: 26)!) == 64)
        #expect(born.years(until: SimpleDate(year: 2026, month: 11, day: 27)!) == 65)
    }

    @Test func parsesOnlyStrictISODates() {
        #expect(SimpleDate(iso: "2026-01-05")?.iso == "2026-01-05")
        #expect(SimpleDate(iso: "2026-1-5") == nil)
        #expect(SimpleDate(iso: "2026-13-01") == nil)
        #expect(SimpleDate(iso: "yesterday") == nil)
    }
}

@Suite struct TodayInChinaTests {
    @Test func chinaIsEightHoursAheadOfUTC() {
        // 2026-11-26 15:59:59 UTC is 23:59:59 in Beijing; one second later it is the 27th there.
        #expect(SimpleDate.todayInChina(now: Date(timeIntervalSince1970: 1_795_708_799)).iso == "2026-11-26")
        #expect(SimpleDate.todayInChina(now: Date(timeIntervalSince1970: 1_795_708_800)).iso == "2026-11-27")
    }
}
