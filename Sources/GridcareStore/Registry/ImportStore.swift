import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// Loads validated households and residents with COPY, all in one transaction: a file with one bad row
/// leaves nothing behind, and every bad row is reported with its line.
public struct ImportStore: Sendable {
    let db: Database
    public init(_ db: Database) { self.db = db }

    public struct Summary: Sendable, Equatable {
        public var households: Int
        public var residents: Int
        public init(households: Int, residents: Int) {
            self.households = households
            self.residents = residents
        }
    }

    /// Loads both files of an import parsed beforehand.
    public func load(
        _ data: RegistryImport,
        districtId: Int64,
        householdsFile: String,
        residentsFile: String,
        logger: Logger
    ) async throws -> Summary {
        try await load(
            households: data.households,
            residents: { .init(rows: data.residents) },
            districtId: districtId,
            householdsFile: householdsFile,
            residentsFile: residentsFile,
            logger: logger
        )
    }

    /// Checks and copies `households`, then waits for `residents` (the CLI is still reading that file while
    /// the households go in) and copies them, in one transaction. Bad rows of the residents file undo the
    /// households too.
    public func load(
        households: [Lined<HouseholdDraft>],
        residents: @escaping @Sendable () async -> RegistryImport.Parsed<ResidentDraft>,
        districtId: Int64,
        householdsFile: String,
        residentsFile: String,
        logger: Logger
    ) async throws -> Summary {
        do {
            return try await copy(
                households: households,
                residents: residents,
                districtId: districtId,
                householdsFile: householdsFile,
                residentsFile: residentsFile,
                logger: logger
            )
        } catch let error where ConstraintViolation(error)?.constraint == "resident_id_number_index_key" {
            // Identity numbers are checked optimistically by the unique index during COPY, which is free on
            // the path that succeeds; when it fires, the transaction is gone and this finds every clash.
            let items = try await takenIdNumbers(await residents().rows, residentsFile: residentsFile, logger: logger)
            if items.isEmpty { throw error }
            throw ImportFailure(items: items)
        }
    }

    /// Lines whose identity number is already stored.
    func takenIdNumbers(_ residents: [Lined<ResidentDraft>], residentsFile: String, logger: Logger) async throws -> [ImportFailure.Item] {
        let indexes = residents.map { db.vault.blindIndex($0.value.idNumber).hex }
        let taken = Set(
            try await db.client.query(
                """
                SELECT encode(id_number_index, 'hex') FROM resident
                WHERE registration = 'active' AND id_number_index IN (SELECT decode(x, 'hex') FROM unnest(\(indexes)::text[]) AS x)
                """,
                logger: logger
            ).decode(String.self).all()
        )
        return residents.filter { taken.contains(db.vault.blindIndex($0.value.idNumber).hex) }.map {
            ImportFailure.Item(
                file: residentsFile,
                line: $0.line,
                reason: "id_number: a resident with ID-card number \($0.value.idNumber.masked) already exists"
            )
        }
    }

    func copy(
        households: [Lined<HouseholdDraft>],
        residents: @Sendable () async -> RegistryImport.Parsed<ResidentDraft>,
        districtId: Int64,
        householdsFile: String,
        residentsFile: String,
        logger: Logger
    ) async throws -> Summary {
        try await db.transaction(logger: logger) { conn in
            let district = try await conn.query("SELECT 1 FROM area WHERE id = \(districtId) AND level = 'district'", logger: logger).collect()
            guard !district.isEmpty else { throw ImportFailure(items: [.init(file: "--district", line: 0, reason: "no district \(districtId)")]) }
            var errors = try await householdErrors(households, districtId: districtId, householdsFile: householdsFile, on: conn, logger: logger)

            // Households go in first, while the residents file may still be being read; a bad row later
            // rolls them back with everything else.
            var idOfRef: [String: Int64] = [:]
            // Every household a resident may join, with its micro-grid (a resident row carries it).
            var microGridOf: [Int64: Int64] = [:]
            var ids: [Int64] = []
            if errors.isEmpty {
                let reserved = try await conn.reserveIds(table: "household", count: households.count, logger: logger)
                ids = reserved
                for (i, h) in households.enumerated() {
                    idOfRef[h.value.externalRef!] = reserved[i]
                    microGridOf[reserved[i]] = h.value.microGridId
                }
                try await conn.copyRows(
                    table: "household",
                    columns: ["id", "district_id", "micro_grid_id", "external_ref", "address", "latitude", "longitude", "code_token"],
                    count: households.count,
                    logger: logger
                ) { i, line in
                    let h = households[i].value
                    line.add(reserved[i])
                    line.add(districtId)
                    line.add(h.microGridId)
                    line.add(h.externalRef)
                    line.add(h.address)
                    line.add(h.latitude)
                    line.add(h.longitude)
                    line.add(HouseholdStore.newCodeToken())
                }
            }

            let parsed = await residents()
            // As when both files are read first: a residents file that does not parse is reported alone.
            guard parsed.errors.isEmpty else { throw ImportFailure(items: parsed.errors) }
            let people = parsed.rows

            // Residents point at a household of this file (by ref), or one already stored (by ref or id).
            let fileRefs = Set(households.compactMap(\.value.externalRef))
            var outsideRefs = Set<String>()
            var outsideIds = Set<Int64>()
            for r in people {
                switch r.value.household {
                case .ref(let ref) where !fileRefs.contains(ref): outsideRefs.insert(ref)
                case .id(let id): outsideIds.insert(id)
                default: break
                }
            }
            for (ref, id, grid) in try await conn.rows(
                """
                SELECT external_ref, id, micro_grid_id FROM household WHERE district_id = \(districtId) AND external_ref = ANY(\(Array(outsideRefs)))
                """,
                as: (String, Int64, Int64).self,
                logger: logger
            ) {
                idOfRef[ref] = id
                microGridOf[id] = grid
            }
            // A household_id names a household stored before this import, not one it has just added.
            let added = Set(ids)
            var storedIds = Set<Int64>()
            for (id, grid) in try await conn.rows(
                """
                SELECT id, micro_grid_id FROM household WHERE district_id = \(districtId) AND id = ANY(\(Array(outsideIds)))
                """,
                as: (Int64, Int64).self,
                logger: logger
            ) where !added.contains(id) {
                storedIds.insert(id)
                microGridOf[id] = grid
            }
            for r in people {
                switch r.value.household {
                case .ref(let ref) where !fileRefs.contains(ref) && idOfRef[ref] == nil:
                    errors.append(
                        .init(
                            file: residentsFile,
                            line: r.line,
                            reason: "household_ref: no household \(ref) in this import or district \(districtId)"
                        )
                    )
                case .id(let id) where !storedIds.contains(id):
                    errors.append(.init(file: residentsFile, line: r.line, reason: "household_id: no household \(id) in district \(districtId)"))
                default: break
                }
            }
            if !errors.isEmpty {
                // The file fails anyway: report the identity-number clashes with the rest.
                errors += try await takenIdNumbers(people, residentsFile: residentsFile, logger: logger)
                throw ImportFailure(items: errors.sorted { ($0.file, $0.line) < ($1.file, $1.line) })
            }

            try await conn.copyRows(
                table: "resident",
                columns: [
                    "district_id", "household_id", "micro_grid_id", "name", "sex", "birth_date", "id_number_sealed", "id_number_index", "phone",
                    "conditions", "circumstances",
                ],
                count: people.count,
                logger: logger
            ) { i, line in
                let r = people[i].value
                let household: Int64 =
                    switch r.household {
                    case .id(let id): id
                    case .ref(let ref): idOfRef[ref]!
                    }
                line.add(districtId)
                line.add(household)
                line.add(microGridOf[household]!)
                line.add(r.name)
                line.add(r.sex.rawValue)
                line.add(r.birthDate.iso)
                line.add(bytes: db.vault.seal(r.idNumber))
                line.add(bytes: db.vault.blindIndex(r.idNumber))
                line.add(r.phone)
                line.add(array: r.conditions.map(\.rawValue))
                line.add(array: r.circumstances.map(\.rawValue))
            }
            // One row for the whole file: a row per imported resident would double the import's work.
            try await AuditLog(db).record(
                .import,
                residents: [],
                detail: "district \(districtId): \(households.count) households, \(people.count) residents from \(residentsFile)",
                on: conn,
                logger: logger
            )
            return Summary(households: households.count, residents: people.count)
        }
    }

    /// What the database says is wrong with the households: micro-grids outside the district, refs
    /// imported before.
    func householdErrors(
        _ households: [Lined<HouseholdDraft>],
        districtId: Int64,
        householdsFile: String,
        on conn: PostgresConnection,
        logger: Logger
    ) async throws -> [ImportFailure.Item] {
        var errors: [ImportFailure.Item] = []
        let microGridIds = Array(Set(households.map(\.value.microGridId)))
        let knownGrids = Set(
            try await conn.query(
                """
                SELECT id FROM area WHERE level = 'micro_grid' AND district_id = \(districtId) AND id = ANY(\(microGridIds))
                """,
                logger: logger
            ).decode(Int64.self).all()
        )
        for h in households where !knownGrids.contains(h.value.microGridId) {
            errors.append(
                .init(file: householdsFile, line: h.line, reason: "micro_grid_id: no micro-grid \(h.value.microGridId) in district \(districtId)")
            )
        }
        // Refs already imported earlier are refused, not silently duplicated.
        let takenRefs = Set(
            try await conn.query(
                """
                SELECT external_ref FROM household WHERE district_id = \(districtId) AND external_ref = ANY(\(households.compactMap(\.value.externalRef)))
                """,
                logger: logger
            ).decode(String.self).all()
        )
        for h in households where takenRefs.contains(h.value.externalRef ?? "") {
            errors.append(.init(file: householdsFile, line: h.line, reason: "ref: household \(h.value.externalRef!) was imported before"))
        }
        return errors
    }
}
