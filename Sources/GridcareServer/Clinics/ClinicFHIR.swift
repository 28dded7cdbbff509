import Foundation
import GridcareStore

/// A session as HL7 FHIR R4: a Bundle of the clinic's Schedule, the session's Slots and its bookings'
/// Appointments. Built by hand from the few fields a receiving system needs.
enum ClinicFHIR {
    static func bundle(
        session s: ClinicSession,
        slots: [(slot: Int, start: String, capacity: Int, booked: Int)],
        bookings: [Booking]
    ) -> [String: Any] {
        let date = s.day.iso
        func instant(_ hhmm: String) -> String { "\(date)T\(hhmm):00+08:00" }
        let schedule: [String: Any] = [
            "resourceType": "Schedule", "id": "clinic-\(s.clinicId)", "active": true,
            "actor": [["reference": "Location/station-\(s.stationId)", "display": s.stationName], ["reference": "CareTeam/\(s.teamId)"]],
            "planningHorizon": ["start": instant(ClinicStore.time(s.startMinute)), "end": instant(ClinicStore.time(s.endMinute))],
        ]
        let slotMinutes = slots.count > 1 ? ClinicStore.minute(slots[1].start) - ClinicStore.minute(slots[0].start) : s.endMinute - s.startMinute
        let slotResources: [[String: Any]] = slots.map { slot in
            let start = ClinicStore.minute(slot.start)
            return [
                "resourceType": "Slot", "id": "session-\(s.id)-slot-\(slot.slot)", "schedule": ["reference": "Schedule/clinic-\(s.clinicId)"],
                "status": !s.status.takesBookings ? "entered-in-error" : (slot.booked >= slot.capacity ? "busy" : "free"),
                "start": instant(slot.start), "end": instant(ClinicStore.time(start + slotMinutes)),
                "comment": "\(slot.capacity - slot.booked) of \(slot.capacity) places free",
            ]
        }
        let status: [String: String] = [
            "booked": "booked", "checked_in": "checked-in", "completed": "fulfilled",
            "no_show": "noshow", "cancelled": "cancelled",
        ]
        let appointments: [[String: Any]] = bookings.map { b in
            var a: [String: Any] = [
                "resourceType": "Appointment", "id": "booking-\(b.id)", "status": status[b.status.rawValue] ?? "booked",
                "participant": [["actor": ["reference": "Patient/\(b.residentId)", "display": b.residentName], "status": "accepted"]],
            ]
            if let slot = b.slot { a["slot"] = [["reference": "Slot/session-\(s.id)-slot-\(slot)"]] }
            if b.walkIn { a["appointmentType"] = ["text": "walk-in"] }
            return a
        }
        return [
            "resourceType": "Bundle", "type": "collection",
            "entry": ([schedule] + slotResources + appointments).map { ["resource": $0] },
        ]
    }
}
