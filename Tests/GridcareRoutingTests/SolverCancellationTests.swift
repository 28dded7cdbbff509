import Testing

@testable import GridcareRouting

/// A solve nobody waits for any more stops: the stop flag is polled in the solver's loop, and cancelling
/// the task that runs it off the pool raises the flag (Task cancellation does not reach a GCD thread).
@Suite(.serialized) struct SolverCancellationTests {
    @Test func aRaisedFlagStopsTheSolveBeforeItsFirstIteration() {
        let stop = StopFlag()
        stop.raise()
        let inst = randomInstance(clients: 60, seed: 3, optional: true, vehicles: 8, capacity: 50)
        // An hour's budget: only the flag can end this solve.
        let sol = Solver(instance: inst, options: SolverOptions(timeLimit: .seconds(3600), seed: 1, stop: stop)).solve()
        #expect(sol.iterations == 0)
        #expect(Evaluator.evaluate(inst, routes: sol.routes).violations == [])
    }

    @Test func cancellingTheTaskStopsASolveRunningOffThePool() async throws {
        let inst = randomInstance(clients: 60, seed: 4, optional: true, vehicles: 8, capacity: 50)
        let started = StopFlag()  // raised once the solve has begun
        let solve = Task {
            await offThePool { stop in
                started.raise()
                return Solver(instance: inst, options: SolverOptions(timeLimit: .seconds(3600), seed: 1, stop: stop)).solve()
            }
        }
        while !started.isRaised { try await Task.sleep(for: .milliseconds(10)) }
        solve.cancel()
        // The budget is an hour; a solve that ignored the cancellation would still be running when the
        // guard (a generous two minutes) gives up.
        let finished = try await withThrowingTaskGroup(of: Solution?.self) { group in
            group.addTask { await solve.value }
            group.addTask {
                try await Task.sleep(for: .seconds(120))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        let sol = try #require(finished, "the cancelled solve did not stop")
        #expect(Evaluator.evaluate(inst, routes: sol.routes).violations == [])
    }
}
