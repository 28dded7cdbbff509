import GridcareCore
import PostgresNIO

extension FlagStore {
    /// What one call of `gridcare_raise_flag` came to.
    enum RaiseOutcome: Sendable {
        case raised(RiskFlag)
        /// The resident already has an open flag of this category (audited as refused).
        case open
        /// No such resident, or not one the caller sees (audited as denied).
        case unseen
    }

    /// The raise in one call of `gridcare_raise_flag` (0039_flag_in_one_call.sql), run outside a transaction:
    /// it sets the caller's scope for its own statement, checks the resident, raises the flag, writes its
    /// history event and the audit row (the refusals' too), and returns the flag as FlagStore reads it.
    struct RaiseInOneCall: PostgresPreparedStatement {
        static let sql = "SELECT * FROM gridcare_raise_flag($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        typealias Row = RaiseOutcome
        var resident: Int64, category: FlagCategory, tier: Tier, population: Population, note: String?
        var scope: Scope, operation: String
        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 11)
            b.appendCaller(scope, operation: operation)
            b.append(resident)
            b.append(category.rawValue)
            b.append(tier.rawValue)
            b.append(population.rawValue)
            b.append(note)
            return b
        }
        func decodeRow(_ row: PostgresRow) throws -> Row {
            let c = Columns(row)
            switch try c("outcome", String.self) {
            case "raised": return .raised(try FlagStore.flag(c))
            case "open": return .open
            default: return .unseen
            }
        }
    }
}
