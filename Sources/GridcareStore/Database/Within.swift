/// Runs `work`, giving up on it after `limit`: its value, or nil when the limit came first (the work is
/// then cancelled). For checks that must answer on time however long the pool would wait for a
/// connection: readiness, the replica's monitor.
public func within<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}
