import Foundation
import GridcareCore
import Testing

@Suite struct HolidayCalendarTests {
    static func calendar2026() throws -> HolidayCalendar {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var c = HolidayCalendar()
        try c.add(yaml: String(contentsOf: root.appendingPathComponent("Config/holidays/cn-2026.yaml"), encoding: .utf8), file: "cn-2026.yaml")
        return c
    }
    func d(_ s: String) -> SimpleDate { SimpleDate(iso: s)! }

    @Test func readsTheStateCouncilSchedule() throws {
        let c = try Self.calendar2026()
        #expect(c.covers(d("2026-12-31")) && !c.covers(d("2027-01-01")))
        #expect(c.holiday(on: d("2026-10-07")) == "National Day (国庆节)")
        #expect(c.holiday(on: d("2026-10-08")) == nil)
        #expect(!c.isWorkday(d("2026-02-16")))  // Spring Festival Monday
        #expect(c.isWorkday(d("2026-02-14")))  // a make-up Saturday
        #expect(c.isMakeUpWorkday(d("2026-09-20")))
        #expect(!c.isWorkday(d("2026-11-28")))  // an ordinary Saturday
        #expect(c.isWorkday(d("2026-11-26")))  // an ordinary Thursday
        #expect(d("2026-11-26").isoWeekday == 4 && d("1970-01-01").isoWeekday == 4 && d("2026-01-04").isoWeekday == 7)
    }

    @Test func aMakeUpDayKeepsTheTimetableOfTheNearestWeekdayItReplaces() throws {
        let c = try Self.calendar2026()
        #expect(c.timetableWeekday(of: d("2026-01-04")) == 5)  // Sunday working as Friday 01-02
        #expect(c.timetableWeekday(of: d("2026-10-10")) == 3)  // Saturday working as Wednesday 10-07
        #expect(c.timetableWeekday(of: d("2026-11-26")) == nil)
    }

    @Test func badFilesNameTheLine() {
        var c = HolidayCalendar()
        #expect(throws: FieldError("x.yaml:4", "2026-13-01 is not a date YYYY-MM-DD")) {
            try c.add(yaml: "year: 2026\nholidays:\n  - name: X\n    off: [2026-13-01, 2026-13-02]\n", file: "x.yaml")
        }
        #expect(throws: FieldError.self) { try c.add(yaml: "holidays:\n", file: "y.yaml") }
    }
}

@Suite struct SessionPlannerTests {
    func d(_ s: String) -> SimpleDate { SimpleDate(iso: s)! }
    func rule(_ weekday: Int) -> ClinicRule {
        ClinicRule(
            weekday: weekday,
            startMinute: 9 * 60,
            endMinute: 11 * 60 + 30,
            slotMinutes: 15,
            capacityPerSlot: 2,
            validFrom: d("2026-01-01"),
            validUntil: nil
        )
    }

    @Test func aHolidayMovesTheSessionToTheNextWorkdayOrCancelsIt() throws {
        let c = try HolidayCalendarTests.calendar2026()
        let moved = SessionPlanner.plan(rule(3), from: d("2026-09-28"), through: d("2026-10-11"), calendar: c, onHoliday: .nextWorkday)
        #expect(
            moved.map { "\($0.day) \($0.status.rawValue)" } == [
                "2026-09-30 scheduled", "2026-10-07 moved", "2026-10-08 scheduled", "2026-10-10 scheduled",
            ]
        )
        #expect(moved[1].movedTo == d("2026-10-08"))
        #expect(moved[3].reason?.contains("make-up") == true)  // Saturday 10-10 keeps Wednesday's timetable
        let cancelled = SessionPlanner.plan(rule(3), from: d("2026-10-05"), through: d("2026-10-09"), calendar: c, onHoliday: .cancel)
        #expect(cancelled.map { "\($0.day) \($0.status.rawValue)" } == ["2026-10-07 cancelled"])
    }

    @Test func aFridayClinicInNewYearWeekMovesOntoTheMakeUpSunday() throws {
        let c = try HolidayCalendarTests.calendar2026()
        let plan = SessionPlanner.plan(rule(5), from: d("2026-01-01"), through: d("2026-01-10"), calendar: c, onHoliday: .nextWorkday)
        #expect(plan.map { "\($0.day) \($0.status.rawValue)" } == ["2026-01-02 moved", "2026-01-04 scheduled", "2026-01-09 scheduled"])
        let cancel = SessionPlanner.plan(rule(5), from: d("2026-01-01"), through: d("2026-01-10"), calendar: c, onHoliday: .cancel)
        #expect(cancel.map { "\($0.day) \($0.status.rawValue)" } == ["2026-01-02 cancelled", "2026-01-04 scheduled", "2026-01-09 scheduled"])
    }

    @Test func planningIsOnlyInsideTheRulesValidity() throws {
        var r = rule(1)
        r.validFrom = d("2026-11-09")
        r.validUntil = d("2026-11-23")
        let plan = SessionPlanner.plan(r, from: d("2026-11-01"), through: d("2026-12-31"), calendar: HolidayCalendar(), onHoliday: .cancel)
        #expect(plan.map(\.day) == [d("2026-11-09"), d("2026-11-16"), d("2026-11-23")])
        #expect(r.slots == 10)
    }

    @Test func clinicRulesNameEveryBadField() {
        var r = rule(8)
        r.endMinute = 8 * 60
        r.slotMinutes = 2
        r.capacityPerSlot = 0
        do {
            try r.validate()
            Issue.record("accepted")
        } catch {
            #expect(Set(error.errors.map(\.field)) == ["weekday", "endsAt", "slotMinutes", "capacityPerSlot"])
        }
    }
}
