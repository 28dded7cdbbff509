import GridcareCore
import GridcareStore
import GridcareTestSupport
import PostgresNIO
import Testing

/// A `SimpleDate` binds as PostgreSQL's `date` (days since 2000-01-01 in binary): the day the database
/// receives is the day Swift meant, on both sides of day zero and on leap days.
@Suite struct DateBindingTests {
    @Test func aDayBindsAsTheSameDateInTheDatabase() async throws {
        try await withTestDatabase { db, _ in
            let days = ["1949-10-01", "1999-12-31", "2000-01-01", "2000-02-29", "2026-02-28", "2026-12-31", "2028-02-29"]
            for iso in days {
                let day = SimpleDate(iso: iso)!
                let seen = try await db.client.query("SELECT pg_typeof(\(day))::text, to_char(\(day), 'YYYY-MM-DD')")
                    .decode((String, String).self).all()
                #expect(seen.first?.0 == "date" && seen.first?.1 == iso, "\(iso) arrived as \(String(describing: seen.first))")
            }
            let none: SimpleDate? = nil
            let null = try await db.client.query("SELECT \(none)::date IS NULL").decode(Bool.self).all()
            #expect(null == [true])
        }
    }
}
