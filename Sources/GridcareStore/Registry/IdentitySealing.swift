import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// The Swift step of the identity-number migration: seals every plaintext number left by earlier versions,
/// inside the transaction of the migration that then drops the plaintext (0015), so a failure leaves both
/// as they were. SQL cannot do it: the key never enters the database.
enum IdentitySealing {
    /// The migration this step runs before.
    static let beforeVersion = 15
    static let batch = 5_000

    static func run(on conn: PostgresConnection, vault: IdentityVault?, logger: Logger) async throws {
        let pending =
            try await conn.first(
                """
                SELECT (SELECT count(*) FROM resident WHERE id_number IS NOT NULL AND id_number_sealed IS NULL)::int
                     + (SELECT count(*) FROM referral WHERE patient_id_sealed IS NULL)::int
                """,
                as: Int.self,
                logger: logger
            ) ?? 0
        guard pending > 0 else { return }
        guard let vault else {
            throw MigrationError(
                "\(pending) stored identity numbers must be sealed: configure security.identityKey or security.identityKeyFile and migrate again"
            )
        }
        var sealed = 0
        while true {
            let rows = try await conn.rows(
                """
                SELECT id, id_number FROM resident WHERE id_number IS NOT NULL AND id_number_sealed IS NULL ORDER BY id LIMIT \(batch)
                """,
                as: (Int64, String).self,
                logger: logger
            )
            if rows.isEmpty { break }
            var ids: [Int64] = []
            var seals: [String] = []
            var indexes: [String] = []
            for (id, raw) in rows {
                let number = try IDCardNumber(raw)
                ids.append(id)
                seals.append(vault.seal(number).hex)
                indexes.append(vault.blindIndex(number).hex)
            }
            try await conn.query(
                """
                UPDATE resident r SET id_number_sealed = decode(u.s, 'hex'), id_number_index = decode(u.i, 'hex'), id_number = NULL
                FROM unnest(\(ids)::bigint[], \(seals)::text[], \(indexes)::text[]) AS u(id, s, i) WHERE r.id = u.id
                """,
                logger: logger
            )
            sealed += rows.count
        }
        // A slip's copy is sealed from its resident's number, read back through the vault.
        let slips = try await conn.rows(
            """
            SELECT f.id, r.id_number_sealed FROM referral f JOIN resident r ON r.id = f.resident_id WHERE f.patient_id_sealed IS NULL
            """,
            as: (Int64, Data).self,
            logger: logger
        )
        if !slips.isEmpty {
            let ids = slips.map(\.0)
            let seals = try slips.map { try vault.seal(vault.open($0.1)).hex }
            try await conn.query(
                """
                UPDATE referral f SET patient_id_sealed = decode(u.s, 'hex')
                FROM unnest(\(ids)::bigint[], \(seals)::text[]) AS u(id, s) WHERE f.id = u.id
                """,
                logger: logger
            )
        }
        logger.notice("sealed stored identity numbers", metadata: ["residents": "\(sealed)", "referrals": "\(slips.count)"])
    }
}

extension Data {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
