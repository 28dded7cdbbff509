import Foundation
import GridcareCore
import PostgresNIO

/// What the slip carries about the patient, copied when it is written (the hospital never reads the registry).
/// The whole number and birth date are there only for the views AccessRules.mayRevealOnSlip allows.
public struct ReferralPatient: Sendable, Equatable {
    public var name: String, sex: String, birthYear: Int, idNumberMasked: String, phone: String?, address: String?
    public var identity: ResidentIdentity?
}

/// One set of recent vitals copied from the case sheet onto the slip.
public struct ReferralVitals: Sendable, Equatable, Codable {
    public var measuredAt: Date
    public var systolic: Int?, diastolic: Int?, glucoseFasting: Double?, glucoseRandom: Double?
    public var heartRate: Int?, temperature: Double?, spo2: Int?, weight: Double?

    /// The values as a reading's vitals (what the FHIR Observation is built from).
    public var vitals: Vitals {
        Vitals(
            systolic: systolic,
            diastolic: diastolic,
            glucoseFasting: glucoseFasting,
            glucoseRandom: glucoseRandom,
            heartRate: heartRate,
            temperature: temperature,
            spo2: spo2,
            weight: weight
        )
    }
}

/// The hospital's down-referral: what the team is to do after discharge.
public struct DischargePlan: Sendable, Equatable {
    public var instructions: String, medication: String?, followUpBy: SimpleDate
}

/// A two-way referral slip (双向转诊单) as stored.
public struct Referral: Sendable, Equatable {
    public var id: Int64, number: String
    public var residentId: Int64, microGridId: Int64, centreId: Int64, centreName: String, teamId: Int64?
    public var hospitalId: Int64, hospitalName: String, department: String?
    public var urgency: ReferralUrgency, reason: String, diagnosis: String
    public var patient: ReferralPatient, vitals: [ReferralVitals]
    public var status: ReferralStatus
    public var createdBy: Int64, createdAt: Date
    public var sentAt: Date?, receivedAt: Date?, decidedAt: Date?, admittedAt: Date?, dischargedAt: Date?
    public var followedUpAt: Date?, closedAt: Date?, cancelledAt: Date?
    public var declineReason: String?, plan: DischargePlan?, followUpServiceId: Int64?
    public var version: Int

    /// The actions that may come next, whoever takes them.
    public var allowedActions: [ReferralStatus.Action] { status.allowedActions }

    static let select = """
        SELECT s.id, s.number, s.resident_id, s.micro_grid_id, s.centre_id, c.name AS centre_name, s.team_id, s.hospital_id,
               h.name AS hospital_name, s.department, s.urgency::text, s.reason, s.diagnosis, s.patient_name, s.patient_sex,
               to_char(s.patient_birth_date, 'YYYY-MM-DD') AS birth_date, s.patient_id_sealed, s.patient_phone, s.patient_address,
               s.vitals::text, s.status::text, s.created_by, s.created_at, s.sent_at, s.received_at, s.decided_at, s.admitted_at,
               s.discharged_at, s.followed_up_at, s.closed_at, s.cancelled_at, s.decline_reason, s.plan_instructions, s.plan_medication,
               to_char(s.follow_up_by, 'YYYY-MM-DD') AS follow_up_by, s.follow_up_service_id, s.version
        FROM referral s JOIN facility c ON c.id = s.centre_id JOIN facility h ON h.id = s.hospital_id
        """

    /// Reads a row of `select` by column name (the slip has too many columns for a positional tuple); `full`
    /// opens the patient's whole number.
    init(row: PostgresRow, vault: IdentityVault, full: Bool = false) throws {
        let v = Columns(row)
        id = try v("id")
        number = try v("number")
        residentId = try v("resident_id")
        microGridId = try v("micro_grid_id")
        centreId = try v("centre_id")
        centreName = try v("centre_name")
        teamId = try v("team_id")
        hospitalId = try v("hospital_id")
        hospitalName = try v("hospital_name")
        department = try v("department")
        urgency = ReferralUrgency(rawValue: try v("urgency"))!
        reason = try v("reason")
        diagnosis = try v("diagnosis")
        let born = SimpleDate(iso: try v("birth_date"))!
        let number = try vault.open(try v("patient_id_sealed"))
        patient = ReferralPatient(
            name: try v("patient_name"),
            sex: try v("patient_sex"),
            birthYear: born.year,
            idNumberMasked: number.masked,
            phone: try v("patient_phone"),
            address: try v("patient_address"),
            identity: full ? ResidentIdentity(idNumber: number.value, birthDate: born) : nil
        )
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        vitals = try decoder.decode([ReferralVitals].self, from: Data((try v("vitals", String.self)).utf8))
        status = ReferralStatus(rawValue: try v("status"))!
        createdBy = try v("created_by")
        createdAt = try v("created_at")
        sentAt = try v("sent_at")
        receivedAt = try v("received_at")
        decidedAt = try v("decided_at")
        admittedAt = try v("admitted_at")
        dischargedAt = try v("discharged_at")
        followedUpAt = try v("followed_up_at")
        closedAt = try v("closed_at")
        cancelledAt = try v("cancelled_at")
        declineReason = try v("decline_reason")
        let instructions: String? = try v("plan_instructions")
        let medication: String? = try v("plan_medication")
        let followUpBy = (try v("follow_up_by", String?.self)).flatMap(SimpleDate.init(iso:))
        plan = instructions.map { DischargePlan(instructions: $0, medication: medication, followUpBy: followUpBy!) }
        followUpServiceId = try v("follow_up_service_id")
        version = try v("version")
    }
}

/// One step of a slip's history.
public struct ReferralEvent: Sendable, Equatable {
    public var at: Date, userId: Int64, username: String, action: String, from: ReferralStatus?, to: ReferralStatus, note: String?
}
