import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import PostgresNIO
import Testing

/// The bulk export to the regional platform: kick-off, manifest, one NDJSON file per type; what it
/// holds of a team, what it never holds (the whole identity number, another micro-grid's or district's
/// residents), its audit, and the incremental pull. Each resource's validity against FHIR R4B is
/// scripts/fhir.sh's (fhir.resources from PyPI, over the whole 20,000-resident demo).
@Suite struct FHIRExportTests {
    /// The files of one export as parsed lines per type, and their raw bodies.
    static func pull(_ client: any TestClientProtocol, _ kickOff: String, token: String?) async throws -> ([String: [[String: Any]]], String, String)
    {
        let (accepted, _, headers) = try await client.call(.get, kickOff, token: token)
        #expect(accepted == .accepted)
        let status = try #require(headers[.contentLocation])
        let (ok, manifest, _) = try await client.call(.get, status, token: token)
        #expect(ok == .ok)
        #expect(manifest["requiresAccessToken"] as? Bool == true)
        var files: [String: [[String: Any]]] = [:]
        var bodies = ""
        for output in try #require(manifest["output"] as? [[String: Any]]) {
            let (fetched, body) = try await client.raw(.get, try #require(output["url"] as? String), token: token)
            #expect(fetched == .ok)
            bodies += body
            files[try #require(output["type"] as? String)] = try body.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
        return (files, bodies, try #require(manifest["transactionTime"] as? String))
    }

    @Test func aTeamsRecordsLeaveAsFHIRAndAnIncrementalPullBringsOnlyWhatChanged() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let doctor = users[.centreStaff]
            let whole = Fixture.residentDraft(household: f.householdIds[0], n: 101).idNumber.value
            let raise: [String: Any] = [
                "residentId": p.inside.id, "category": "living_alone", "tier": "red", "population": "key", "note": "邻居王阿姨有钥匙",
            ]
            #expect(try await client.call(.post, "/v1/flags", json: raise, token: users[.gridWorker]).0 == .created)
            let reading: [String: Any] = ["measuredAt": "2026-11-02T09:00:00+08:00", "systolic": 150, "diastolic": 92, "glucoseFasting": 7.4]
            #expect(try await client.call(.post, "/v1/residents/\(p.inside.id)/readings", json: reading, token: doctor).0 == .created)
            let service: [String: Any] = ["kind": "home_visit", "visit": "doctor_follow_up", "performedAt": "2026-11-02T09:30:00+08:00"]
            #expect(try await client.call(.post, "/v1/residents/\(p.inside.id)/services", json: service, token: doctor).0 == .created)
            // Everything so far an hour old: the export's transactionTime trails the kick-off by ten seconds.
            try await db.query(
                """
                UPDATE resident SET updated_at = now() - interval '1 hour';
                """,
                logger: quiet
            )
            try await db.query("UPDATE care_team SET updated_at = now() - interval '1 hour'", logger: quiet)
            try await db.query("UPDATE risk_flag SET raised_at = now() - interval '1 hour'", logger: quiet)
            try await db.query("UPDATE vital_reading SET recorded_at = now() - interval '1 hour'", logger: quiet)
            try await db.query("UPDATE service_entry SET recorded_at = now() - interval '1 hour'", logger: quiet)

            let (files, bodies, first) = try await Self.pull(client, "/v1/fhir/$export?teamId=\(f.teamId)", token: doctor)
            #expect(Set(files.keys) == ["Patient", "CareTeam", "Flag", "Observation", "Encounter"])
            let patients = files["Patient"] ?? []
            let ids = Set(patients.compactMap { $0["id"] as? String })
            // The team's resident; not one of a micro-grid outside its catchment, nor of another district.
            #expect(ids.contains(String(p.inside.id)) && !ids.contains(String(p.outsideGrid.id)) && !ids.contains(String(p.otherDistrict.id)))
            let patient = try #require(patients.first { $0["id"] as? String == String(p.inside.id) })
            #expect(patient["birthDate"] as? String == "1950")
            let identifiers = try #require(patient["identifier"] as? [[String: Any]])
            #expect(identifiers.contains { $0["value"] as? String == IDCardNumber.mask(whole) })
            // Nothing anywhere lets the whole number be rebuilt: not the number, not the birth date; nor the worker's note.
            #expect(!bodies.contains(whole) && !bodies.contains("1950-03-09") && !bodies.contains("邻居王阿姨"))
            #expect(files["CareTeam"]?.map { $0["id"] as? String } == [String(f.teamId)])
            let flag = try #require(files["Flag"]?.first)
            #expect(flag["status"] as? String == "active")
            #expect((flag["subject"] as? [String: Any])?["reference"] as? String == "Patient/\(p.inside.id)")
            let observation = try #require(files["Observation"]?.first)
            let codes = (observation["component"] as? [[String: Any]] ?? []).compactMap {
                (($0["code"] as? [String: Any])?["coding"] as? [[String: Any]])?.first?["code"] as? String
            }
            #expect(codes == ["8480-6", "8462-4", "1558-6"])
            #expect(files["Encounter"]?.first?["status"] as? String == "finished")
            // Each exported resident is audited as read, by the doctor, naming the export.
            let audited = try await db.first(
                """
                SELECT count(*)::int FROM audit_event
                WHERE resident_id = \(p.inside.id) AND action = 'read' AND detail = 'fhir export Patient' AND user_id = \(users.ids[.centreStaff]!)
                """,
                as: Int.self,
                logger: quiet
            )
            #expect(audited == 1)

            // The next pull from the first's transactionTime brings the new reading, and nothing unchanged.
            let later: [String: Any] = ["measuredAt": "2026-11-03T09:00:00+08:00", "systolic": 132, "diastolic": 84]
            #expect(try await client.call(.post, "/v1/residents/\(p.inside.id)/readings", json: later, token: doctor).0 == .created)
            try await Task.sleep(for: .milliseconds(1100))
            let now = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            let since = first.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let (ok, body) = try await client.raw(
                .get,
                "/v1/fhir/$export-file/Observation?teamId=\(f.teamId)&_since=\(since)&transactionTime=\(now.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                token: doctor
            )
            #expect(ok == .ok)
            #expect(body.split(separator: "\n").count == 1 && body.contains("\"value\":132"))
            let (_, none) = try await client.raw(
                .get,
                "/v1/fhir/$export-file/Patient?teamId=\(f.teamId)&_since=\(since)&transactionTime=\(now.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                token: doctor
            )
            #expect(none.isEmpty)
        }
    }

    @Test func theExportIsForThoseWhoKeepTheRecordsAndNamesWhatIsWrong() async throws {
        try await withScopedAPI { client, f, users, _ in
            for role in [Role.gridWorker, .districtManager, .hospitalStaff] {
                #expect(try await client.call(.get, "/v1/fhir/$export", token: users[role]).0 == .forbidden, "\(role)")
            }
            #expect(try await client.call(.get, "/v1/fhir/$export?teamId=999999", token: users[.centreStaff]).0 == .notFound)
            let (bad, problem, _) = try await client.call(.get, "/v1/fhir/$export?_type=Patient,Appointment", token: users[.centreStaff])
            #expect(bad == .unprocessableContent && problem.field == "_type")
            let (future, late, _) = try await client.call(
                .get,
                "/v1/fhir/$export-file/Patient?transactionTime=2999-01-01T00:00:00Z",
                token: users[.centreStaff]
            )
            #expect(future == .unprocessableContent && late.field == "transactionTime")
            #expect(
                try await client.call(.get, "/v1/fhir/$export-file/Practitioner?transactionTime=2026-01-01T00:00:00Z", token: users[.centreStaff]).0
                    == .badRequest
            )
            _ = f
        }
    }
}
