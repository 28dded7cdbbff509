import PostgresNIO

/// A named prepared statement looked up by one value (a token, an id): its binding written once.
protocol OneParameterStatement: PostgresPreparedStatement {
    associatedtype Parameter: PostgresEncodable
    var parameter: Parameter { get }
}

extension OneParameterStatement {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        try bindings.append(parameter)
        return bindings
    }
}
