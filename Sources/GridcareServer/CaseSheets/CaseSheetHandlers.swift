import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.ServiceEntry {
    init(_ s: ServiceEntry) {
        self.init(
            id: s.id,
            residentId: s.residentId,
            kind: s.kind,
            visit: s.visit,
            performedBy: s.performedBy,
            performedByName: s.performedByName,
            performedAt: s.performedAt,
            notes: s.notes
        )
    }
}

extension Components.Schemas.Reading {
    init(_ r: VitalReading) {
        let v = r.vitals
        self.init(
            id: r.id,
            residentId: r.residentId,
            serviceId: r.serviceId,
            measuredAt: r.measuredAt,
            measuredBy: r.measuredBy,
            vitals: .init(
                systolic: v.systolic,
                diastolic: v.diastolic,
                glucoseFasting: v.glucoseFasting,
                glucoseRandom: v.glucoseRandom,
                heartRate: v.heartRate,
                temperature: v.temperature,
                spo2: v.spo2,
                weight: v.weight
            )
        )
    }
}

extension Components.Schemas.FollowUp {
    init(_ f: FollowUp) {
        self.init(id: f.id, residentId: f.residentId, reason: f.reason, rule: f.rule, readingId: f.readingId, dueBy: f.dueBy.iso)
    }
}

extension Components.Schemas.Alert {
    init(_ a: Alert) {
        self.init(
            id: a.id,
            residentId: a.residentId,
            microGridId: a.microGridId,
            readingId: a.readingId,
            referralId: a.referralId,
            teamId: a.teamId,
            reason: a.reason,
            suggestsGreenChannel: a.suggestsGreenChannel,
            status: a.status,
            openedAt: a.openedAt,
            acknowledgedBy: a.acknowledgedBy,
            acknowledgedAt: a.acknowledgedAt,
            acknowledgeNote: a.acknowledgeNote,
            closedBy: a.closedBy,
            closedAt: a.closedAt,
            version: a.version
        )
    }
}

extension APIHandler {
    var caseSheets: CaseSheetStore { CaseSheetStore(db, rules: config.visitRules) }

    func getCaseSheet(_ input: Operations.GetCaseSheet.Input) async throws -> Operations.GetCaseSheet.Output {
        let sheet = try await caseSheets.caseSheet(input.path.id, logger: logger)
        let today = self.today
        return .ok(
            .init(
                body: .json(
                    .init(
                        resident: .init(sheet.resident, today: today),
                        flags: sheet.flags.map { .init($0) },
                        alerts: sheet.alerts.map { .init($0) },
                        followUps: sheet.followUps.map { .init($0) },
                        services: sheet.services.map { .init($0) },
                        readings: sheet.readings.map { .init($0) }
                    )
                )
            )
        )
    }

    func recordService(_ input: Operations.RecordService.Input) async throws -> Operations.RecordService.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let entry = try await caseSheets.addService(
            residentId: input.path.id,
            kind: b.kind,
            visit: b.visit,
            performedAt: b.performedAt,
            notes: b.notes,
            logger: logger
        )
        return .created(.init(body: .json(.init(entry))))
    }

    func recordReading(_ input: Operations.RecordReading.Input) async throws -> Operations.RecordReading.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let vitals = Vitals(
            systolic: b.systolic,
            diastolic: b.diastolic,
            glucoseFasting: b.glucoseFasting,
            glucoseRandom: b.glucoseRandom,
            heartRate: b.heartRate,
            temperature: b.temperature,
            spo2: b.spo2,
            weight: b.weight
        )
        let outcome = try await caseSheets.addReading(
            residentId: input.path.id,
            vitals: vitals,
            measuredAt: b.measuredAt,
            serviceId: b.serviceId,
            logger: logger
        )
        return .created(
            .init(
                body: .json(
                    .init(
                        reading: .init(outcome.reading),
                        alert: outcome.alert.map { .init($0) },
                        followUp: outcome.followUp.map { .init($0) }
                    )
                )
            )
        )
    }
}
