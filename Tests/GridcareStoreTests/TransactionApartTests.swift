import GridcareStore
import GridcareTestSupport
import Logging
import PostgresNIO
import Testing

private let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A page's reads share one transaction on one connection (`together`); a heavy read the page sends
/// apart (`transactionApart`) runs on a connection of its own, at the same time as the page's statements.
@Suite struct TransactionApartTests {
    @Test func aReadApartFromAPageRunsOnItsOwnConnectionBesideThePage() async throws {
        try await withTestDatabase { db, _ in
            let (page, apart, again) = try await db.together(logger: quiet) {
                let page: Int32 = try await db.withConnection { try await $0.first("SELECT pg_backend_pid()", as: Int32.self, logger: quiet) } ?? 0
                // The page's connection sleeps while the read apart looks for that sleep; on the page's own
                // connection the read would wait until the sleep had ended and never see it.
                async let sleeping = db.withConnection { try await $0.query("SELECT pg_sleep(2)", logger: quiet) }
                let apart = try await db.transactionApart(logger: quiet) { conn -> Int32? in
                    for _ in 0..<75 {
                        if let pid = try await conn.first(
                            """
                            SELECT pg_backend_pid() FROM pg_stat_activity
                            WHERE pid = \(page) AND state = 'active' AND query LIKE 'SELECT pg_sleep%'
                            """,
                            as: Int32.self,
                            logger: quiet
                        ) {
                            return pid
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    return nil
                }
                _ = try await sleeping
                let again = try await db.withConnection { try await $0.first("SELECT pg_backend_pid()", as: Int32.self, logger: quiet) }
                return (page, apart, again)
            }
            #expect(page != 0 && page == again, "the page's reads share one connection")
            #expect(apart != nil && apart != page, "the read apart did not run beside the page's statement on a connection of its own")
        }
    }
}
