import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.Clinic {
    init(_ c: Clinic) {
        self.init(
            id: c.id,
            stationId: c.stationId,
            stationName: c.stationName,
            teamId: c.teamId,
            weekday: c.rule.weekday,
            startsAt: ClinicStore.time(c.rule.startMinute),
            endsAt: ClinicStore.time(c.rule.endMinute),
            slotMinutes: c.rule.slotMinutes,
            capacityPerSlot: c.rule.capacityPerSlot,
            validFrom: c.rule.validFrom.iso,
            validUntil: c.rule.validUntil?.iso,
            version: c.version
        )
    }
}

extension Components.Schemas.Booking {
    init(_ b: Booking) {
        self.init(
            id: b.id,
            residentId: b.residentId,
            residentName: b.residentName,
            sessionId: b.sessionId,
            slot: b.slot,
            walkIn: b.walkIn,
            status: b.status,
            serviceId: b.serviceId,
            version: b.version
        )
    }
}

extension APIHandler {
    var clinics: ClinicStore { ClinicStore(db) }
    var bookings: BookingStore { BookingStore(db) }

    func listClinics(_ input: Operations.ListClinics.Input) async throws -> Operations.ListClinics.Output {
        let list = try await clinics.list(stationId: input.query.stationId, teamId: input.query.teamId, logger: logger)
        return .ok(.init(body: .json(.init(items: list.map { .init($0) }))))
    }

    func createClinic(_ input: Operations.CreateClinic.Input) async throws -> Operations.CreateClinic.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        guard let starts = ClinicStore.parseTime(b.startsAt) else { throw FieldError("startsAt", "must be a time HH:MM") }
        guard let ends = ClinicStore.parseTime(b.endsAt) else { throw FieldError("endsAt", "must be a time HH:MM") }
        let rule = ClinicRule(
            weekday: b.weekday,
            startMinute: starts,
            endMinute: ends,
            slotMinutes: b.slotMinutes ?? 15,
            capacityPerSlot: b.capacityPerSlot ?? 2,
            validFrom: try date(b.validFrom, field: "validFrom") ?? today,
            validUntil: try date(b.validUntil, field: "validUntil")
        )
        return .created(.init(body: .json(.init(try await clinics.create(stationId: b.stationId, teamId: b.teamId, rule: rule, logger: logger)))))
    }

    /// `gridcare clinics generate --clinic` for clinic staff: the same store function, for one clinic the
    /// caller schedules, answering what happened to each session of the span.
    func generateClinicSessions(_ input: Operations.GenerateClinicSessions.Input) async throws -> Operations.GenerateClinicSessions.Output {
        guard case .json(let span) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let from = try date(span.from, field: "from") ?? today
        let through = try date(span.through, field: "through") ?? from.adding(days: config.clinicWeeksAhead * 7 - 1)
        guard through >= from, through.dayNumber - from.dayNumber <= 104 * 7 - 1 else {
            throw FieldError("through", "must be 0–\(104 * 7 - 1) days after from")
        }
        let summary = try await clinics.generate(
            from: from,
            through: through,
            clinicId: input.path.id,
            calendar: try holidayCalendar(),
            onHoliday: config.onHoliday,
            keepSessions: true,
            logger: logger
        )
        func list(_ outcome: GeneratedSession.Outcome) -> [Components.Schemas.GeneratedSession] {
            summary.sessions.filter { $0.outcome == outcome }.map {
                .init(sessionId: $0.sessionId, date: $0.day.iso, status: $0.status, movedTo: $0.movedTo?.iso, reason: $0.reason)
            }
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        clinicId: input.path.id,
                        from: from.iso,
                        through: through.iso,
                        created: list(.created),
                        moved: list(.moved),
                        cancelled: list(.cancelled),
                        existing: list(.existing),
                        uncoveredDays: summary.uncoveredDays
                    )
                )
            )
        )
    }

    /// The holiday calendar as `rules.clinics.holidaysDirectory` holds it now, so a year's file added while
    /// the service runs counts from the next call. A file that cannot be read is the deployment's fault: 500
    /// with what to fix, logged with the file's own complaint.
    func holidayCalendar() throws -> HolidayCalendar {
        do {
            return try HolidayCalendar.load(directory: config.holidaysDirectory)
        } catch {
            logger.error("holiday calendar unreadable", metadata: ["directory": "\(config.holidaysDirectory)", "error": "\(error)"])
            throw Problem(status: .internalServerError, detail: "The holiday calendar (rules.clinics.holidaysDirectory) cannot be read.")
        }
    }

    func listSessions(_ input: Operations.ListSessions.Input) async throws -> Operations.ListSessions.Output {
        let q = input.query
        let from = try date(q.from, field: "from") ?? today
        let through = try date(q.through, field: "through") ?? from.adding(days: 13)
        guard through >= from, through.dayNumber - from.dayNumber <= 92 else { throw FieldError("through", "must be 0–92 days after from") }
        let list = try await clinics.sessions(from: from, through: through, stationId: q.stationId, teamId: q.teamId, logger: logger)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: list.map { s in
                            .init(
                                id: s.id,
                                clinicId: s.clinicId,
                                stationId: s.stationId,
                                stationName: s.stationName,
                                teamId: s.teamId,
                                date: s.day.iso,
                                startsAt: ClinicStore.time(s.startMinute),
                                endsAt: ClinicStore.time(s.endMinute),
                                status: s.status,
                                reason: s.reason,
                                places: s.places,
                                free: s.free
                            )
                        }
                    )
                )
            )
        )
    }

    func listBookings(_ input: Operations.ListBookings.Input) async throws -> Operations.ListBookings.Output {
        .ok(.init(body: .json(.init(items: try await bookings.forSession(input.path.id, logger: logger).map { .init($0) }))))
    }

    func bookSession(_ input: Operations.BookSession.Input) async throws -> Operations.BookSession.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let booking = try await bookings.book(sessionId: input.path.id, residentId: b.residentId, walkIn: b.walkIn ?? false, logger: logger)
        return .created(.init(body: .json(.init(booking))))
    }

    func changeBooking(_ input: Operations.ChangeBooking.Input) async throws -> Operations.ChangeBooking.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let action = b.action
        let booking = try await bookings.act(input.path.id, action, visit: b.visit, logger: logger)
        return .ok(.init(body: .json(.init(booking))))
    }

    func listCalls(_ input: Operations.ListCalls.Input) async throws -> Operations.ListCalls.Output {
        let list = try await bookings.callList(since: try date(input.query.since, field: "since") ?? today, logger: logger)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: list.map {
                            .init(
                                bookingId: $0.bookingId,
                                residentId: $0.residentId,
                                residentName: $0.residentName,
                                phone: $0.phone,
                                sessionId: $0.sessionId,
                                date: $0.day.iso,
                                stationName: $0.stationName,
                                status: $0.status.rawValue,
                                reason: $0.reason
                            )
                        }
                    )
                )
            )
        )
    }

    func sessionInvitations(_ input: Operations.SessionInvitations.Input) async throws -> Operations.SessionInvitations.Output {
        let invitations = try await Invitations.forSession(input.path.id, db: db, today: today, logger: logger)
        return .ok(.init(body: .json(.init(invite: invitations.invite.map { .init($0) }, forRounds: invitations.forRounds.map { .init($0) }))))
    }

    func sessionFHIR(_ input: Operations.SessionFHIR.Input) async throws -> Operations.SessionFHIR.Output {
        let session = try await clinics.session(input.path.id, logger: logger)
        let bundle = ClinicFHIR.bundle(
            session: session,
            slots: try await clinics.slots(session.id, logger: logger),
            bookings: try await bookings.forSession(session.id, logger: logger)
        )
        let data = try JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys])
        return .ok(.init(body: .applicationFhirJson(try JSONDecoder().decode(Components.Schemas.FHIRBundle.self, from: data))))
    }
}
