import Foundation
import GridcareCore
import GridcareStore
import GridcareTestSupport
import PostgresNIO
import Testing

/// Where a rule is computed on one side of the Swift/SQL seam and named or configured on the other, the
/// two sides are tied here: a change on one side that the other does not follow fails.
@Suite struct SeamTests {
    /// The names a due row may carry (the database's guard) are exactly the Swift rules, and the SQL
    /// that computes due visits produces each of them.
    @Test func everyDueRuleIsOneTheDatabaseKnowsAndTheSQLProduces() async throws {
        try await withTestDatabase { db, _ in
            let check = try await db.client.query(
                """
                SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'due_visit_rule_check'
                """
            ).decode(String.self).all()
            let guarded = Set(
                check.first.map { def in
                    def.split(separator: "'").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
                } ?? []
            )
            #expect(guarded == Set(DueRule.allCases.map(\.rawValue)))
            let source = try await db.client.query("SELECT prosrc FROM pg_proc WHERE proname = 'gridcare_due_refresh'")
                .decode(String.self).all().joined()
            for rule in DueRule.allCases {
                #expect(source.contains("'\(rule.rawValue)'"), "gridcare_due_refresh never produces \(rule.rawValue)")
            }
            // A rule outside the list is refused by that guard.
            do {
                try await db.client.query(
                    """
                    INSERT INTO due_visit (resident_id, district_id, micro_grid_id, name, visit, rule, basis, due_on, year_clamped, alerted)
                    VALUES (1, 1, 1, 'x', 'home_visit', 'weekly_tea', 0, current_date, false, false)
                    """
                )
                Issue.record("a due row with an unknown rule was stored")
            } catch let error as PSQLError {
                #expect(error.serverInfo?[.constraintName] == "due_visit_rule_check", "\(String(reflecting: error))")
            }
        }
    }

    /// The figures a fresh database is seeded with are VisitRules' defaults, the figures the service adopts.
    @Test func theSeededVisitRuleFiguresAreTheSwiftDefaults() async throws {
        try await withTestDatabase { db, _ in
            let rows = try await db.client.query(
                """
                SELECT chronic_interval_days, chronic_conditions, annual_check_age, home_visit_interval_days,
                       welfare_days_red, welfare_days_yellow, welfare_days_green, annual_check_interval_days, time_zone FROM visit_rules
                """
            ).decode((Int, [String], Int, Int, Int, Int, Int, Int, String).self).all()
            let r = VisitRules()
            #expect(rows.count == 1)
            guard let seeded = rows.first else { return }
            #expect(seeded.0 == r.chronicIntervalDays && seeded.2 == r.annualCheckAge && seeded.3 == r.homeVisitIntervalDays)
            #expect(seeded.1.sorted() == r.chronicConditions.map(\.rawValue).sorted())
            #expect([seeded.4, seeded.5, seeded.6] == [r.welfareDays[.red], r.welfareDays[.yellow], r.welfareDays[.green]])
            #expect(seeded.7 == r.annualCheckIntervalDays && seeded.8 == VisitRules.timeZone)
            // The due-visit SQL takes those two from the table, not from figures of its own.
            let source = try await db.client.query("SELECT prosrc FROM pg_proc WHERE proname = 'gridcare_due_refresh'")
                .decode(String.self).all().joined()
            #expect(!source.contains("365") && !source.contains("Asia/Shanghai"))
            #expect(source.contains("ru.annual_check_interval_days") && source.contains("ru.time_zone"))
        }
    }
}
