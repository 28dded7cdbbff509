import GridcareCore
import Logging
import PostgresNIO

/// A record that moves through a state machine: what `Database.move` reads from the locked row.
protocol MachineRecord: Sendable {
    associatedtype Status: StateMachine
    var status: Status { get }
    var version: Int { get }
    var residentId: Int64 { get }
}

extension RiskFlag: MachineRecord {}
extension Alert: MachineRecord {}
extension Booking: MachineRecord {}
extension Claim: MachineRecord {}
extension Referral: MachineRecord {}

extension Database {
    /// One step of a record's state machine, the same for every machine: lock the row (missing or out of
    /// scope: an audited denial, then 404), check If-Match (412), ask the machine (409 naming what may
    /// come next), the caller's own rule (`allow` returns the refusal, such as a 403), then `write` (the
    /// update with its version, stamps, event and side effects) and the audit row. Refusals are audited
    /// with the resident and commit, so the trail keeps them.
    ///
    /// `name` is the record in the audit trail ("flag 7 confirm"); `missing` what the 404 says.
    func move<Record: MachineRecord, Out: Sendable>(
        _ name: String,
        _ id: Int64,
        _ action: Record.Status.Action,
        ifVersion: Int?,
        missing: String? = nil,
        logger: Logger,
        lock: (PostgresConnection) async throws -> Record?,
        allow: (Record, Record.Status, PostgresConnection) async throws -> (any Error)? = { _, _, _ in nil },
        write: (Record, Record.Status, PostgresConnection) async throws -> Out
    ) async throws -> Out {
        let audit = AuditLog(self)
        return try await audited(logger: logger) { conn in
            guard let current = try await lock(conn) else {
                try await audit.record(.update, outcome: .denied, detail: "\(name) \(id)", on: conn, logger: logger)
                return .refused(StoreError.notFound(missing ?? name))
            }
            let detail = "\(name) \(id) \(action.rawValue)"
            func refuse(_ error: any Error) async throws -> Refusable<Out> {
                try await audit.refused(error, .update, residents: [current.residentId], detail: detail, on: conn, logger: logger)
            }
            if let ifVersion, ifVersion != current.version { return try await refuse(StoreError.versionMismatch(current: current.version)) }
            let next: Record.Status
            do throws(TransitionError) { next = try current.status.after(action) } catch { return try await refuse(error) }
            if let refusal = try await allow(current, next, conn) { return try await refuse(refusal) }
            let out = try await write(current, next, conn)
            try await audit.record(.update, residents: [current.residentId], detail: detail, on: conn, logger: logger)
            return .done(out)
        }
    }
}
