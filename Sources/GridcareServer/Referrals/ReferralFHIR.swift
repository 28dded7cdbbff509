import Foundation
import GridcareCore
import GridcareStore

/// A slip as HL7 FHIR R4, the way IHE 360X closes a referral loop: a Task (the workflow, with our state as
/// its businessStatus) whose focus is a ServiceRequest (the referral itself), with the slip's vitals as
/// Observations. Built by hand from the fields a receiving system needs.
enum ReferralFHIR {
    static func bundle(_ s: Referral) -> [String: Any] {
        let iso = ISO8601DateFormatter()
        let ref = "referral-\(s.id)"
        let identifier = [["system": "urn:gridcare:referral-number", "value": s.number]]
        let patient: [String: Any] = ["reference": "Patient/\(s.residentId)", "display": s.patient.name]
        let centre: [String: Any] = ["reference": "Organization/\(s.centreId)", "display": s.centreName]
        let hospital: [String: Any] = ["reference": "Organization/\(s.hospitalId)", "display": s.hospitalName]
        let priority = ["routine": "routine", "urgent": "urgent", "green_channel": "stat"][s.urgency.rawValue]!
        let stamps = [s.createdAt, s.sentAt, s.receivedAt, s.decidedAt, s.admittedAt, s.dischargedAt, s.followedUpAt, s.closedAt, s.cancelledAt]
        var task: [String: Any] = [
            "resourceType": "Task", "id": ref, "identifier": identifier, "status": taskStatus(s.status),
            "businessStatus": ["text": s.status.rawValue], "intent": "order", "priority": priority,
            "code": ["text": "Two-way referral (双向转诊)"], "focus": ["reference": "ServiceRequest/\(ref)"], "for": patient,
            "authoredOn": iso.string(from: s.createdAt), "lastModified": iso.string(from: stamps.compactMap { $0 }.max()!),
            "requester": centre, "owner": hospital,
        ]
        if let reason = s.declineReason { task["statusReason"] = ["text": reason] }
        if let plan = s.plan {
            var text = "Discharge plan: \(plan.instructions). Follow up by \(plan.followUpBy.iso)."
            if let medication = plan.medication { text += " Medication: \(medication)." }
            task["note"] = [["text": text]]
            task["restriction"] = ["period": ["end": plan.followUpBy.iso]]
        }
        var request: [String: Any] = [
            "resourceType": "ServiceRequest", "id": ref, "identifier": identifier, "status": requestStatus(s.status), "intent": "order",
            "priority": priority, "category": [["text": "up-referral"]], "code": ["text": s.department ?? "referral"], "subject": patient,
            "authoredOn": iso.string(from: s.createdAt), "requester": centre, "performer": [hospital],
            "reasonCode": [["text": s.diagnosis]], "note": [["text": s.reason]],
        ]
        let observations: [[String: Any]] = s.vitals.enumerated().map { i, v in
            FHIRResources.vitalSigns(
                v.vitals,
                at: v.measuredAt,
                id: "\(ref)-vitals-\(i + 1)",
                patient: patient,
                iso: iso
            )
        }
        if !observations.isEmpty { request["supportingInfo"] = observations.map { ["reference": "Observation/\($0["id"]!)"] } }
        return [
            "resourceType": "Bundle", "type": "collection",
            "entry": ([task, request] + observations).map { ["fullUrl": "urn:gridcare:\($0["resourceType"]!)/\($0["id"]!)", "resource": $0] },
        ]
    }

    static func taskStatus(_ s: ReferralStatus) -> String {
        switch s {
        case .draft: "draft"
        case .sent: "requested"
        case .received: "received"
        case .accepted: "accepted"
        case .declined: "rejected"
        case .admitted: "in-progress"
        case .dischargedDown, .followUpDone, .closed: "completed"
        case .cancelled: "cancelled"
        }
    }

    static func requestStatus(_ s: ReferralStatus) -> String {
        switch s {
        case .draft: "draft"
        case .declined, .cancelled: "revoked"
        case .dischargedDown, .followUpDone, .closed: "completed"
        default: "active"
        }
    }
}
