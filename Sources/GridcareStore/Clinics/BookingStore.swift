import Foundation
import GridcareCore
import Logging
import PostgresNIO

public struct Booking: Sendable, Equatable {
    public var id: Int64, residentId: Int64, residentName: String, sessionId: Int64, slot: Int?, walkIn: Bool
    public var status: BookingStatus, serviceId: Int64?, version: Int
}

/// A booking that a cancelled or moved session left behind: someone must call the resident.
public struct CallListEntry: Sendable, Equatable {
    public var bookingId: Int64, residentId: Int64, residentName: String, phone: String?, sessionId: Int64
    public var day: SimpleDate, stationName: String, status: SessionStatus, reason: String?
}

/// Bookings of clinic sessions. A place is taken with a conditional UPDATE of the slot (never more than
/// its capacity, whatever the race); one live booking per resident and session is a unique index.
public struct BookingStore: Sendable {
    let db: Database
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database) { self.db = db }

    static let select = """
        SELECT b.id, b.resident_id, r.name AS resident_name, b.session_id, b.slot, b.walk_in, b.status::text, b.service_id, b.version
        FROM booking b JOIN resident r ON r.id = b.resident_id
        """
    static func booking(_ c: Columns) throws -> Booking {
        Booking(
            id: try c("id"),
            residentId: try c("resident_id"),
            residentName: try c("resident_name"),
            sessionId: try c("session_id"),
            slot: try c("slot"),
            walkIn: try c("walk_in"),
            status: BookingStatus(rawValue: try c("status"))!,
            serviceId: try c("service_id"),
            version: try c("version")
        )
    }

    /// Books `residentId` into the first free slot of a scheduled session (or, for a walk-in, checks them
    /// in without a slot). The resident must live in the catchment of the clinic's team and be visible.
    /// One call of `gridcare_book` (0025), the only place a booking is taken, does it all: the checks, the
    /// slot (waiting for one held by a booking in flight), the booking and its audit row.
    public func book(sessionId: Int64, residentId: Int64, walkIn: Bool, logger: Logger) async throws -> Booking {
        guard let scope = db.scope else { throw StoreError.notAllowed("bookings are made by signed-in users") }
        let r = try await db.withConnection(logger: logger) { conn in
            try await conn.first(
                BookInOneCall(session: sessionId, resident: residentId, walkIn: walkIn, scope: scope, operation: db.operation),
                logger: logger
            )
        }
        if let booking = r?.booking { return booking }
        throw try await refusal(
            eligible: r?.eligible ?? false,
            status: r.flatMap { SessionStatus(rawValue: $0.status) },
            booked: r?.booked ?? false,
            residentId: residentId,
            logger: logger
        )
            ?? StoreError.conflict(field: "sessionId", reason: "the session is full")
    }

    /// Why a booking is refused, if it is: a resident outside the catchment (or unseen: audited as denied,
    /// in a transaction of its own), a session not open, a resident already booked on it.
    func refusal(eligible: Bool, status: SessionStatus?, booked: Bool, residentId: Int64, logger: Logger) async throws -> (any Error)? {
        guard eligible else {
            try await audit.record(.create, residents: [residentId], outcome: .denied, detail: "booking", logger: logger)
            return ValidationFailure([FieldError("residentId", "no such resident in the catchment of this clinic's team")])
        }
        guard status?.takesBookings == true else { return ValidationFailure([FieldError("sessionId", "the session is not open for booking")]) }
        if booked { return StoreError.conflict(field: "residentId", reason: "the resident is already booked for this session") }
        return nil
    }

    /// Checks in, completes (a clinic-visit entry on the case sheet that satisfies `visit`), marks a no-show
    /// or cancels (the place returns to the slot).
    public func act(_ id: Int64, _ action: BookingStatus.Action, visit: VisitKind?, logger: Logger) async throws -> Booking {
        guard let user = db.scope?.userId else { throw StoreError.notAllowed("bookings are changed by signed-in users") }
        if !AccessRules.mayChangeBooking(action, as: db.scope?.role) {
            throw StoreError.notAllowed("a grid worker may cancel a booking; the clinic checks residents in and completes visits")
        }
        return try await db.move(
            "booking",
            id,
            action,
            ifVersion: nil,
            logger: logger,
            lock: { conn in
                try await conn.first("\(unescaped: Self.select) WHERE b.id = \(id) FOR UPDATE OF b", logger: logger, Self.booking)
            },
            write: { current, next, conn in
                var service: Int64?
                if next == .completed {
                    service = try await conn.first(
                        """
                        INSERT INTO service_entry (district_id, resident_id, micro_grid_id, kind, visit, performed_by, performed_at, notes)
                        SELECT district_id, resident_id, micro_grid_id, 'clinic_visit', \((visit ?? .doctorFollowUp).rawValue)::visit_kind, \(user), now(),
                               'clinic session ' || session_id
                        FROM booking WHERE id = \(id)
                        RETURNING id
                        """,
                        as: Int64.self,
                        logger: logger
                    )
                    if (visit ?? .doctorFollowUp) == .doctorFollowUp, let service {
                        try await FollowUps.satisfy(residentId: current.residentId, service: service, db: db, on: conn, logger: logger)
                    }
                }
                if !next.holdsPlace, current.status.holdsPlace, let slot = current.slot {
                    try await conn.query(
                        "UPDATE session_slot SET booked = booked - 1 WHERE session_id = \(current.sessionId) AND slot = \(slot)",
                        logger: logger
                    )
                }
                try await conn.query(
                    """
                    UPDATE booking SET status = \(next.rawValue)::booking_status, changed_by = \(user), changed_at = now(),
                           service_id = coalesce(\(service), service_id), version = version + 1
                    WHERE id = \(id)
                    """,
                    logger: logger
                )
                return try await fetch(id, on: conn, logger: logger)!
            }
        )
    }

    public func forSession(_ sessionId: Int64, logger: Logger) async throws -> [Booking] {
        try await db.transaction(logger: logger) { conn in
            let list = try await conn.rows(
                "\(unescaped: Self.select) WHERE b.session_id = \(sessionId) ORDER BY b.slot NULLS LAST, b.id",
                logger: logger,
                Self.booking
            )
            try await audit.record(.search, residents: list.map(\.residentId), detail: "bookings of session \(sessionId)", on: conn, logger: logger)
            return list
        }
    }

    /// Residents booked on sessions that were cancelled or moved, from `since` on.
    public func callList(since: SimpleDate, logger: Logger) async throws -> [CallListEntry] {
        try await db.transaction(logger: logger) { conn in
            let list = try await conn.rows(
                """
                SELECT b.id AS booking_id, r.id AS resident_id, r.name AS resident_name, r.phone, cs.id AS session_id,
                       to_char(cs.on_date, 'YYYY-MM-DD') AS day, s.name AS station_name, cs.status::text, cs.reason
                FROM booking b JOIN resident r ON r.id = b.resident_id JOIN clinic_session cs ON cs.id = b.session_id
                JOIN clinic c ON c.id = cs.clinic_id JOIN facility s ON s.id = c.station_id
                WHERE b.status = 'booked' AND cs.status IN ('cancelled', 'moved') AND cs.on_date >= \(since)::date
                ORDER BY cs.on_date, s.name, r.name
                """,
                logger: logger
            ) { c in
                CallListEntry(
                    bookingId: try c("booking_id"),
                    residentId: try c("resident_id"),
                    residentName: try c("resident_name"),
                    phone: try c("phone"),
                    sessionId: try c("session_id"),
                    day: SimpleDate(iso: try c("day"))!,
                    stationName: try c("station_name"),
                    status: SessionStatus(rawValue: try c("status"))!,
                    reason: try c("reason")
                )
            }
            try await audit.record(.search, residents: list.map(\.residentId), detail: "call list", on: conn, logger: logger)
            return list
        }
    }

    func fetch(_ id: Int64, on conn: PostgresConnection, logger: Logger) async throws -> Booking? {
        try await conn.first("\(unescaped: Self.select) WHERE b.id = \(id)", logger: logger, Self.booking)
    }
}
