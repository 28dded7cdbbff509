import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore
import OpenAPIRuntime

extension Components.Schemas.Referral {
    init(_ r: Referral, rules: ReferralRules, history: [ReferralEvent]? = nil) {
        self.init(
            id: r.id,
            number: r.number,
            residentId: r.residentId,
            microGridId: r.microGridId,
            centreId: r.centreId,
            centreName: r.centreName,
            teamId: r.teamId,
            hospitalId: r.hospitalId,
            hospitalName: r.hospitalName,
            department: r.department,
            urgency: r.urgency,
            reason: r.reason,
            diagnosis: r.diagnosis,
            patient: .init(
                name: r.patient.name,
                sex: r.patient.sex,
                birthYear: r.patient.birthYear,
                birthDate: r.patient.identity?.birthDate.iso,
                idNumberMasked: r.patient.idNumberMasked,
                idNumber: r.patient.identity?.idNumber,
                phone: r.patient.phone,
                address: r.patient.address
            ),
            vitals: r.vitals.map {
                .init(
                    measuredAt: $0.measuredAt,
                    systolic: $0.systolic,
                    diastolic: $0.diastolic,
                    glucoseFasting: $0.glucoseFasting,
                    glucoseRandom: $0.glucoseRandom,
                    heartRate: $0.heartRate,
                    temperature: $0.temperature,
                    spo2: $0.spo2,
                    weight: $0.weight
                )
            },
            status: r.status,
            allowedActions: r.allowedActions,
            acknowledgeBy: r.status == .sent ? r.sentAt.map { rules.acknowledgeBy(sentAt: $0, urgency: r.urgency) } : nil,
            createdBy: r.createdBy,
            createdAt: r.createdAt,
            sentAt: r.sentAt,
            receivedAt: r.receivedAt,
            decidedAt: r.decidedAt,
            admittedAt: r.admittedAt,
            dischargedAt: r.dischargedAt,
            followedUpAt: r.followedUpAt,
            closedAt: r.closedAt,
            cancelledAt: r.cancelledAt,
            declineReason: r.declineReason,
            plan: r.plan.map { .init(instructions: $0.instructions, medication: $0.medication, followUpBy: $0.followUpBy.iso) },
            followUpServiceId: r.followUpServiceId,
            version: r.version,
            history: history?.map {
                .init(
                    at: $0.at,
                    userId: $0.userId,
                    username: $0.username,
                    action: $0.action,
                    from: $0.from,
                    to: $0.to,
                    note: $0.note
                )
            }
        )
    }
}

extension Components.Schemas.ReferralLoopFigures {
    init(_ f: ReferralLoopFigures) {
        self.init(
            facilityId: f.facilityId,
            facilityName: f.facilityName,
            sent: f.sent,
            declined: f.declined,
            cancelled: f.cancelled,
            dischargedDown: f.dischargedDown,
            closedLoops: f.closedLoops,
            openNow: f.openNow,
            acknowledgedLate: f.acknowledgedLate,
            loopClosureRate: f.loopClosureRate,
            medianHours: .init(additionalProperties: f.medianHours)
        )
    }
}

extension APIHandler {
    var referrals: ReferralStore { ReferralStore(db, rules: config.referralRules) }

    func listReferrals(_ input: Operations.ListReferrals.Input) async throws -> Operations.ListReferrals.Output {
        let q = input.query
        let filter = ReferralStore.Filter(
            status: q.status,
            urgency: q.urgency,
            hospitalId: q.hospitalId,
            residentId: q.residentId,
            openOnly: q.open ?? false
        )
        let page = try await referrals.list(filter, page: try pageRequest(cursor: q.cursor, limit: q.limit), logger: logger)
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0, rules: config.referralRules) }, nextCursor: page.nextCursor))))
    }

    func createReferral(_ input: Operations.CreateReferral.Input) async throws -> Operations.CreateReferral.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let slip = try await referrals.create(
            .init(
                residentId: b.residentId,
                hospitalId: b.hospitalId,
                department: b.department,
                urgency: b.urgency,
                reason: b.reason,
                diagnosis: b.diagnosis,
                send: b.send ?? false
            ),
            logger: logger
        )
        return .created(.init(headers: .init(eTag: etag(slip.version)), body: .json(.init(slip, rules: config.referralRules))))
    }

    func getReferral(_ input: Operations.GetReferral.Input) async throws -> Operations.GetReferral.Output {
        let (slip, history) = try await referrals.get(input.path.id, logger: logger)
        return .ok(.init(headers: .init(eTag: etag(slip.version)), body: .json(.init(slip, rules: config.referralRules, history: history))))
    }

    func actOnReferral(_ input: Operations.ActOnReferral.Input) async throws -> Operations.ActOnReferral.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let plan = try b.plan.map {
            (
                instructions: $0.instructions, medication: $0.medication,
                followUpBy: try date($0.followUpBy, field: "plan.followUpBy")
            )
        }
        let step = ReferralStore.Step(
            action: b.action,
            note: b.note,
            plan: plan,
            serviceKind: b.serviceKind.map { ServiceKind(rawValue: $0.rawValue)! }
        )
        let slip = try await referrals.act(input.path.id, step, ifVersion: try version(ifMatch: input.headers.ifMatch), logger: logger)
        return .ok(.init(headers: .init(eTag: etag(slip.version)), body: .json(.init(slip, rules: config.referralRules))))
    }

    func referralSlip(_ input: Operations.ReferralSlip.Input) async throws -> Operations.ReferralSlip.Output {
        let (slip, _) = try await referrals.get(input.path.id, logger: logger)
        return .ok(.init(body: .html(HTTPBody(ReferralSlipPage.html(slip)))))
    }

    func referralFHIR(_ input: Operations.ReferralFHIR.Input) async throws -> Operations.ReferralFHIR.Output {
        let (slip, _) = try await referrals.get(input.path.id, reveal: false, logger: logger)
        let data = try JSONSerialization.data(withJSONObject: ReferralFHIR.bundle(slip), options: [.sortedKeys])
        return .ok(.init(body: .applicationFhirJson(try JSONDecoder().decode(Components.Schemas.FHIRBundle.self, from: data))))
    }

    func listOverdueReferrals(_ input: Operations.ListOverdueReferrals.Input) async throws -> Operations.ListOverdueReferrals.Output {
        let items = try await ReferralReports(db, rules: config.referralRules)
            .overdue(districtId: input.query.districtId, limit: try bounded(input.query.limit, "limit", default: 500, max: 5000), logger: logger)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: items.map {
                            .init(
                                id: $0.id,
                                number: $0.number,
                                residentId: $0.residentId,
                                patientName: $0.patientName,
                                urgency: $0.urgency,
                                status: $0.status,
                                hospitalId: $0.hospitalId,
                                hospitalName: $0.hospitalName,
                                centreId: $0.centreId,
                                centreName: $0.centreName,
                                stage: .init(rawValue: $0.stage.rawValue)!,
                                dueAt: $0.dueAt,
                                lateMinutes: $0.lateMinutes
                            )
                        }
                    )
                )
            )
        )
    }

    func referralReport(_ input: Operations.ReferralReport.Input) async throws -> Operations.ReferralReport.Output {
        let q = input.query
        let from = try date(q.from, field: "from")
        let to = try date(q.to, field: "to")
        if let from, let to, to <= from { throw FieldError("to", "must be after from") }
        let report = try await ReferralReports(db.reporting(), rules: config.referralRules)
            .report(districtId: q.districtId, from: from?.startInChina, to: to?.startInChina, logger: logger)
        return .ok(.init(body: .json(.init(byHospital: report.byHospital.map { .init($0) }, byCentre: report.byCentre.map { .init($0) }))))
    }
}
