import Foundation
import GridcareCore
import GridcareStore

/// Our records as HL7 FHIR R4 resources, for the regional platform: the one owner of the mapping (codes,
/// systems, what is left out). Built by hand from the fields a receiving system needs; every resource
/// validates against the R4B models of `fhir.resources` (scripts/fhir.sh). Identity numbers leave masked
/// and birth dates as the year, as every screen shows them: with the whole birth date, the masked number's
/// hidden digits would be the date itself and two sequence digits.
enum FHIRResources {
    static let system = "urn:gridcare"

    static func resource(_ record: FHIRExportRecord, iso: ISO8601DateFormatter) -> [String: Any] {
        switch record {
        case .patient(let id, let name, let sex, let birthYear, let masked, let phone, let address, let teamId, let updatedAt):
            var p: [String: Any] = [
                "resourceType": "Patient", "id": String(id), "meta": ["lastUpdated": iso.string(from: updatedAt)],
                "identifier": [
                    ["system": "\(system):resident", "value": String(id)],
                    [
                        "use": "official", "type": ["text": "居民身份证号（脱敏）"], "system": "\(system):id-card-masked", "value": masked,
                    ],
                ],
                "active": true, "name": [["text": name]], "gender": sex == .male ? "male" : "female", "birthDate": String(format: "%04d", birthYear),
                "address": [["text": address, "country": "CN"]],
            ]
            if let phone { p["telecom"] = [["system": "phone", "value": phone, "use": "mobile"]] }
            // A Patient's generalPractitioner cannot name a CareTeam in R4: the team that serves the
            // resident's micro-grid goes in an extension.
            if let teamId { p["extension"] = [["url": "\(system):care-team", "valueReference": ["reference": "CareTeam/\(teamId)"]]] }
            return p
        case .careTeam(let id, let name, let centreId, let centreName, let members, let updatedAt):
            return [
                "resourceType": "CareTeam", "id": String(id), "meta": ["lastUpdated": iso.string(from: updatedAt)], "status": "active",
                "name": name, "category": [["text": "1+1+N 家庭医生团队"]],
                "managingOrganization": [["reference": "Organization/\(centreId)", "display": centreName]],
                "participant": members.map { m in
                    [
                        "role": [["coding": [["system": "\(system):team-role", "code": m.role]], "text": teamRoleLabel(m.role)]],
                        "member": ["reference": "Practitioner/\(m.workerId)", "display": m.name],
                    ] as [String: Any]
                },
            ]
        case .flag(let id, let residentId, let category, let tier, let population, let status, let raisedAt, let endedAt, let note):
            var period: [String: Any] = ["start": iso.string(from: raisedAt)]
            if let endedAt { period["end"] = iso.string(from: endedAt) }
            let label = [
                FlagCategory(rawValue: category).map(Labels.category) ?? category, Tier(rawValue: tier).map(Labels.tier) ?? tier,
                population == "key" ? "重点人群" : "次重点人群",
            ].joined(separator: " · ")
            var f: [String: Any] = [
                "resourceType": "Flag", "id": String(id),
                "status": status == "raised" || status == "confirmed" ? "active" : (status == "dismissed" ? "entered-in-error" : "inactive"),
                "category": [["coding": [["system": "\(system):flag-category", "code": category]], "text": "特殊群体台账"]],
                "code": [
                    "coding": [["system": "\(system):flag-category", "code": category], ["system": "\(system):flag-tier", "code": tier]],
                    "text": label,
                ],
                "subject": ["reference": "Patient/\(residentId)"], "period": period,
            ]
            if status == "raised" { f["extension"] = [["url": "\(system):flag-awaiting-confirmation", "valueBoolean": true]] }
            _ = note  // A worker's note may name neighbours and family: it stays in Gridcare.
            return f
        case .observation(let id, let residentId, let measuredAt, let recordedAt, let vitals):
            var o = vitalSigns(vitals, at: measuredAt, id: String(id), patient: ["reference": "Patient/\(residentId)"], iso: iso)
            o["issued"] = iso.string(from: recordedAt)
            return o
        case .encounter(let id, let residentId, let kind, let visit, let performedAt, let recordedAt):
            // HH home health, AMB ambulatory, VR virtual: the ActCode an encounter's class takes.
            let actCode = ["home_visit": "HH", "round": "HH", "phone_consultation": "VR"][kind] ?? "AMB"
            var e: [String: Any] = [
                "resourceType": "Encounter", "id": String(id), "meta": ["lastUpdated": iso.string(from: recordedAt)], "status": "finished",
                "class": ["system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": actCode],
                "type": [
                    [
                        "coding": [["system": "\(system):service-kind", "code": kind]],
                        "text": ServiceKind(rawValue: kind).map(Labels.service) ?? kind,
                    ]
                ],
                "subject": ["reference": "Patient/\(residentId)"],
                "period": ["start": iso.string(from: performedAt), "end": iso.string(from: performedAt)],
            ]
            if let visit { e["serviceType"] = ["coding": [["system": "\(system):visit-kind", "code": visit]], "text": visitLabel(visit)] }
            return e
        }
    }

    /// One reading set as a vital-signs Observation with a LOINC-coded component per value.
    static func vitalSigns(_ v: Vitals, at: Date, id: String, patient: [String: Any], iso: ISO8601DateFormatter) -> [String: Any] {
        func component(_ code: String, _ name: String, _ value: Double?, _ unit: String) -> [String: Any]? {
            guard let value else { return nil }
            return [
                "code": ["coding": [["system": "http://loinc.org", "code": code, "display": name]]],
                "valueQuantity": ["value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit],
            ]
        }
        let components = [
            component("8480-6", "Systolic blood pressure", v.systolic.map(Double.init), "mm[Hg]"),
            component("8462-4", "Diastolic blood pressure", v.diastolic.map(Double.init), "mm[Hg]"),
            component("1558-6", "Fasting glucose", v.glucoseFasting, "mmol/L"),
            component("2339-0", "Glucose", v.glucoseRandom, "mmol/L"),
            component("8867-4", "Heart rate", v.heartRate.map(Double.init), "/min"),
            component("8310-5", "Body temperature", v.temperature, "Cel"),
            component("59408-5", "Oxygen saturation", v.spo2.map(Double.init), "%"),
            component("29463-7", "Body weight", v.weight, "kg"),
        ].compactMap { $0 }
        return [
            "resourceType": "Observation", "id": id, "status": "final",
            "category": [["coding": [["system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"]]]],
            "code": ["coding": [["system": "http://loinc.org", "code": "85353-1", "display": "Vital signs panel"]], "text": "Vital signs"],
            "subject": patient, "effectiveDateTime": iso.string(from: at), "component": components,
        ]
    }

    static func teamRoleLabel(_ role: String) -> String {
        ["doctor": "家庭医生", "nurse": "护士", "public_health": "公卫人员", "party_member": "党员", "grid_worker": "网格员"][role] ?? role
    }

    static func visitLabel(_ visit: String) -> String {
        ["doctor_follow_up": "慢病随访", "home_visit": "上门随访", "welfare_visit": "网格员走访", "annual_check": "年度体检"][visit] ?? visit
    }

    /// A record as one NDJSON line: compact JSON, keys sorted (a line is the same bytes each time).
    static func line(_ record: FHIRExportRecord, iso: ISO8601DateFormatter) throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: resource(record, iso: iso), options: [.sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }
}
