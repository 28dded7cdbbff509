import AsyncAlgorithms
import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore
import OpenAPIRuntime

/// FHIR Bulk Data `$export` for the regional platform: kick-off, manifest, one NDJSON file per type.
/// Nothing is stored between the steps: the status and file addresses carry the request and its
/// transactionTime, and each file is read and written out when it is fetched, in batches that wait for
/// the client (a file of a million residents never sits in memory).
extension APIHandler {
    /// How far behind the kick-off the export's transactionTime is set: no write of ours stays open
    /// longer (the statement timeout is the request deadline, 5 s by default), so a record written just
    /// before the kick-off but committed after it is in the next incremental pull, not lost between two.
    static let exportSettleSeconds: TimeInterval = 10

    func exportScope(districtId: Int64?, teamId: Int64?) async throws -> (district: Int64, team: Int64?) {
        guard let district = db.scope?.districtId ?? districtId else {
            throw FieldError("districtId", "is required for a deployment-wide administrator")
        }
        if let teamId {
            // A team out of sight answers like a missing one, before any file is started.
            let team = try await TeamStore(db).get(teamId, logger: logger)
            guard team.districtId == district else { throw StoreError.notFound("care team") }
        }
        return (district, teamId)
    }

    static func exportTypes(_ raw: String?) throws -> [FHIRExportType] {
        guard let raw, !raw.isEmpty else { return FHIRExportType.allCases }
        return try raw.split(separator: ",").map { name in
            guard let t = FHIRExportType(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw FieldError("_type", "names a type not exported: \(name) (Patient, CareTeam, Flag, Observation, Encounter)")
            }
            return t
        }
    }

    /// The query every step carries on, as written in the addresses of the next.
    static func exportQuery(district: Int64, team: Int64?, since: Date?, types: [FHIRExportType]?, at: Date?) -> String {
        let iso = ISO8601DateFormatter()
        var q = ["districtId=\(district)"]
        if let team { q.append("teamId=\(team)") }
        if let since { q.append("_since=\(iso.string(from: since).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)") }
        if let types { q.append("_type=\(types.map(\.rawValue).joined(separator: ","))") }
        if let at { q.append("transactionTime=\(iso.string(from: at).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)") }
        return q.joined(separator: "&")
    }

    /// The kick-off's query as the status address's one path segment: base64url, which no header or path
    /// encoding alters. It is no secret: the status step checks the caller's scope again.
    static func job(_ query: String) -> String {
        Data(query.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func query(ofJob job: String) throws -> [String: String] {
        var b64 = job.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b64 += String(repeating: "=", count: (4 - b64.count % 4) % 4)
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8),
            let items = URLComponents(string: "?" + text)?.queryItems
        else { throw FieldError("job", "is not an export's status address") }
        return Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
    }

    func fhirExport(_ input: Operations.FhirExport.Input) async throws -> Operations.FhirExport.Output {
        let q = input.query
        let (district, team) = try await exportScope(districtId: q.districtId, teamId: q.teamId)
        let types = try Self.exportTypes(q._type)
        // Whole seconds: the manifest's time is written without fractions and read back as the bound.
        let at = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - Self.exportSettleSeconds).rounded(.down))
        if let since = q._since, since >= at { throw FieldError("_since", "is not before the export's transactionTime") }
        let job = Self.job(Self.exportQuery(district: district, team: team, since: q._since, types: types, at: at))
        return .accepted(.init(headers: .init(contentLocation: "/v1/fhir/$export-status/\(job)")))
    }

    func fhirExportStatus(_ input: Operations.FhirExportStatus.Input) async throws -> Operations.FhirExportStatus.Output {
        let q = try Self.query(ofJob: input.path.job)
        let iso = ISO8601DateFormatter()
        guard let at = q["transactionTime"].flatMap(iso.date(from:)) else { throw FieldError("job", "is not an export's status address") }
        let since = q["_since"].flatMap(iso.date(from:))
        let (district, team) = try await exportScope(districtId: q["districtId"].flatMap(Int64.init), teamId: q["teamId"].flatMap(Int64.init))
        let types = try Self.exportTypes(q["_type"])
        let files = Self.exportQuery(district: district, team: team, since: since, types: nil, at: at)
        return .ok(
            .init(
                body: .json(
                    .init(
                        transactionTime: at,
                        request: "/v1/fhir/$export?" + Self.exportQuery(district: district, team: team, since: since, types: types, at: nil),
                        requiresAccessToken: true,
                        output: types.map { .init(_type: $0.rawValue, url: "/v1/fhir/$export-file/\($0.rawValue)?\(files)") },
                        error: []
                    )
                )
            )
        )
    }

    func fhirExportFile(_ input: Operations.FhirExportFile.Input) async throws -> Operations.FhirExportFile.Output {
        let q = input.query
        let (district, team) = try await exportScope(districtId: q.districtId, teamId: q.teamId)
        guard let type = FHIRExportType(rawValue: input.path.resourceType.rawValue) else { throw FieldError("resourceType", "is not exported") }
        guard q.transactionTime <= Date() else { throw FieldError("transactionTime", "is in the future") }
        let channel = AsyncThrowingChannel<ArraySlice<UInt8>, any Error>()
        // The export reads on the replica when there is a usable one; each batch's audit rows are
        // committed on the primary before the batch is sent.
        let db = self.db.reporting()
        let logger = self.logger
        let since = q._since
        let until = q.transactionTime
        // The read runs beside the response and hands it one batch at a time; a client that stops reading
        // for a minute ends it (and its transaction). Detached: it must not join a transaction of the
        // request's, which ends when this handler returns; the scope travels in `db`.
        Task.detached {
            do {
                let iso = ISO8601DateFormatter()
                try await FHIRExportStore(db).export(type, districtId: district, teamId: team, since: since, until: until, logger: logger) {
                    records in
                    var chunk = Data()
                    for record in records { chunk.append(try FHIRResources.line(record, iso: iso)) }
                    try await Self.send(ArraySlice(chunk), to: channel, within: 60)
                }
                channel.finish()
            } catch {
                logger.warning("fhir export of \(type.rawValue) ended early: \(error)")
                channel.fail(error)
            }
        }
        return .ok(.init(body: .applicationFhirNdjson(HTTPBody(channel, length: .unknown, iterationBehavior: .single))))
    }

    /// Sends one chunk, or gives up after `seconds` of a client not reading.
    static func send(_ chunk: ArraySlice<UInt8>, to channel: AsyncThrowingChannel<ArraySlice<UInt8>, any Error>, within seconds: Int) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await channel.send(chunk)
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return false
            }
            let sent = try await group.next() ?? false
            group.cancelAll()
            if !sent { throw CancellationError() }
        }
    }
}
