import GridcareCore
import Testing

@Suite struct ReadingThresholdTests {
    let rules = VisitRules()

    func kind(_ v: Vitals) -> String {
        switch rules.classify(v) {
        case .normal: "normal"
        case .uncontrolled: "uncontrolled"
        case .urgent: "urgent"
        }
    }

    @Test func bloodPressureBoundaries() {
        #expect(kind(Vitals(systolic: 180, diastolic: 90)) == "urgent")
        #expect(kind(Vitals(systolic: 150, diastolic: 110)) == "urgent")
        #expect(kind(Vitals(systolic: 179, diastolic: 109)) == "uncontrolled")
        #expect(kind(Vitals(systolic: 140, diastolic: 80)) == "uncontrolled")
        #expect(kind(Vitals(systolic: 130, diastolic: 90)) == "uncontrolled")
        #expect(kind(Vitals(systolic: 139, diastolic: 89)) == "normal")
    }

    @Test func glucoseBoundaries() {
        #expect(kind(Vitals(glucoseFasting: 16.7)) == "urgent")
        #expect(kind(Vitals(glucoseRandom: 30)) == "urgent")  // seed 004: the family was found by the grid leader
        #expect(kind(Vitals(glucoseRandom: 3.9)) == "urgent")
        #expect(kind(Vitals(glucoseFasting: 4.0)) == "normal")
        #expect(kind(Vitals(glucoseFasting: 7.0)) == "uncontrolled")
        #expect(kind(Vitals(glucoseRandom: 7.0)) == "normal")  // the 7.0 line is for fasting glucose only
        #expect(kind(Vitals(glucoseFasting: 6.9)) == "normal")
    }

    @Test func anUrgentReadingNamesEveryAlarmingValue() {
        guard case .urgent(let reasons) = rules.classify(Vitals(systolic: 185, diastolic: 95, glucoseFasting: 8.0)) else {
            Issue.record("not urgent")
            return
        }
        #expect(reasons == ["血压 185/95 mmHg", "空腹血糖 8.0 mmol/L"])
    }

    @Test func thresholdsAreConfigurable() {
        var strict = VisitRules()
        strict.urgentSystolic = 170
        #expect({ if case .urgent = strict.classify(Vitals(systolic: 172, diastolic: 80)) { true } else { false } }())
    }
}

@Suite struct VitalsValidationTests {
    func fields(_ v: Vitals) -> [String] {
        do {
            try v.validate()
            return []
        } catch { return error.errors.map(\.field) }
    }

    @Test func impossibleValuesAreNamed() {
        #expect(fields(Vitals(systolic: 400, diastolic: 90)) == ["systolic"])
        #expect(fields(Vitals(glucoseFasting: 0)) == ["glucoseFasting"])
        #expect(fields(Vitals(temperature: 45.5, spo2: 101)) == ["temperature", "spo2"])
        #expect(fields(Vitals(systolic: 120)) == ["diastolic"])
        #expect(fields(Vitals(systolic: 80, diastolic: 90)) == ["diastolic"])
        #expect(fields(Vitals()) == ["body"])
        #expect(fields(Vitals(weight: .nan)) == ["weight"])
        #expect(fields(Vitals(systolic: 120, diastolic: 80, glucoseFasting: 5.6, heartRate: 72, temperature: 36.6, spo2: 98, weight: 61.5)) == [])
    }
}

@Suite struct CareStateMachineTests {
    @Test func flagsAreDecidedThenClosed() throws {
        #expect(try FlagStatus.raised.after(.confirm) == .confirmed)
        #expect(try FlagStatus.raised.after(.dismiss) == .dismissed)
        #expect(try FlagStatus.confirmed.after(.close) == .closed)
        #expect(try FlagStatus.dismissed.after(.close) == .closed)
        for (status, action) in [
            (FlagStatus.raised, FlagStatus.Action.close), (.confirmed, .confirm), (.confirmed, .dismiss),
            (.dismissed, .confirm), (.closed, .close), (.closed, .confirm),
        ] {
            #expect(throws: TransitionError.self, "\(status) \(action)") { try status.after(action) }
        }
    }

    @Test func alertsAreAcknowledgedThenClosed() throws {
        #expect(try AlertStatus.open.after(.acknowledge) == .acknowledged)
        #expect(try AlertStatus.open.after(.close) == .closed)
        #expect(try AlertStatus.acknowledged.after(.close) == .closed)
        #expect(throws: TransitionError.self) { try AlertStatus.acknowledged.after(.acknowledge) }
        #expect(throws: TransitionError.self) { try AlertStatus.closed.after(.close) }
    }

    @Test func onlyFaceToFaceServicesCountAsClinicalVisits() {
        #expect(ServiceKind.homeVisit.canSatisfy(.doctorFollowUp))
        #expect(ServiceKind.clinicVisit.canSatisfy(.annualCheck))
        #expect(!ServiceKind.phoneConsultation.canSatisfy(.doctorFollowUp))
        #expect(ServiceKind.phoneConsultation.canSatisfy(.welfareVisit))
        #expect(!ServiceKind.round.canSatisfy(.homeVisit))
        #expect(!ServiceKind.recordFiling.canSatisfy(.welfareVisit))
        #expect(VisitRules.interval(perYear: 4) == 91)
    }
}

@Suite struct FinerAccessRuleTests {
    @Test func gridWorkersRecordWelfareVisitsAndOnlyCancelBookings() {
        #expect(AccessRules.mayRecord(.welfareVisit, as: .gridWorker))
        #expect(!AccessRules.mayRecord(.doctorFollowUp, as: .gridWorker) && !AccessRules.mayRecord(nil, as: .gridWorker))
        #expect(AccessRules.mayRecord(.doctorFollowUp, as: .centreStaff) && AccessRules.mayRecord(nil, as: .admin))
        #expect(AccessRules.mayChangeBooking(.cancel, as: .gridWorker))
        #expect(BookingStatus.Action.allCases.filter { AccessRules.mayChangeBooking($0, as: .gridWorker) } == [.cancel])
        #expect(BookingStatus.Action.allCases.allSatisfy { AccessRules.mayChangeBooking($0, as: .centreStaff) })
    }
}
