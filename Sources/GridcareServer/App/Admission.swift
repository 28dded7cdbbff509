import GridcareAPI
import GridcareStore
import Synchronization

/// Heavy work is admitted, not queued: rounds solves and mobilisation checks take a place here before
/// they start, and when every place is taken the request answers 429 with `Retry-After` at once
/// instead of waiting behind the others for CPU it would then share (`rules.heavyWork.*`). A place is
/// given back when the work ends, cancelled or not; a cancelled solve stops at its next iteration.
final class Admission: Sendable {
    /// How many may run at once, across both kinds.
    let limit: Int
    /// What a refused request is told to wait.
    let retryAfterSeconds: Int
    /// What runs in these places, for the 429's text.
    let work: String
    private let places = Mutex((running: 0, refused: 0))

    init(limit: Int, retryAfterSeconds: Int, work: String = "solves and mobilisation checks") {
        self.limit = max(1, limit)
        self.retryAfterSeconds = max(1, retryAfterSeconds)
        self.work = work
    }

    /// Takes a place if one is free.
    func enter() -> Bool {
        places.withLock { n in
            guard n.running < limit else {
                n.refused += 1
                return false
            }
            n.running += 1
            return true
        }
    }

    func leave() { places.withLock { $0.running -= 1 } }

    /// How many run now, and how many were refused since the service started (for `/metrics`).
    var running: Int { places.withLock { $0.running } }
    var refused: Int { places.withLock { $0.refused } }

    /// Runs `work` in a place, or returns nil without running it when none is free.
    func run<T: Sendable>(_ work: () async throws -> T) async throws -> T? {
        guard enter() else { return nil }
        defer { leave() }
        return try await work()
    }

    /// The body of the 429.
    var problem: Components.Schemas.Problem {
        .init(
            _type: "https://gridcare.example/problems/429",
            title: "Too Many Requests",
            status: 429,
            detail:
                "The service is running as many \(work) as it admits at once (\(limit)); try again in \(retryAfterSeconds) s."
        )
    }
}

/// Live indicator counts take their places here (the dashboard's custom periods).
extension Admission: WorkPlaces {
    /// The 429 thrown where no generated response is at hand (the dashboard, read by the API and the
    /// console alike): the same text and `Retry-After` as `problem`.
    var refusal: Problem { Problem(status: .tooManyRequests, detail: problem.detail, retryAfter: retryAfterSeconds) }
}
