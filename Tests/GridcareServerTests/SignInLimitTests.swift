import Configuration
import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

/// Sign-in under attack, against a live server over real sockets: every request comes on a connection of
/// its own, as from separate clients, so they run at once. Nothing here asserts a duration: the counts in
/// the database and in the bcrypt gate say what was checked.
@Suite struct SignInLimitTests {
    static let wrong = "not the password"

    /// The limits under test; 0 turns a rate limit off, so a test sees only the mechanism it is about.
    static func config(perAddress: Int = 0, perUser: Int = 0, bcrypt: Int = 64) -> AppConfig {
        concurrencyConfig([
            "auth.signInPerAddressPerMinute": .init(.int(perAddress), isSecret: false),
            "auth.signInPerUserPerMinute": .init(.int(perUser), isSecret: false),
            "auth.bcryptConcurrency": .init(.int(bcrypt), isSecret: false),
        ])
    }

    @Test func parallelWrongPasswordsAreCheckedAtMostFiveTimesAndLockTheAccount() async throws {
        let config = Self.config()
        let passwords = PasswordChecker(slots: config.bcryptConcurrency, cost: config.bcryptCost)
        try await withLiveServer(config: config, passwords: passwords) { port, _, db in
            let answers = try await parallel(20) { _ in try await signIn(port: port, "doctor", Self.wrong) }
            #expect(answers.allSatisfy { $0.status == .unauthorized })
            // Five attempts were counted and checked against the hash; the other fifteen found the account
            // locked and only spent a decoy check.
            #expect(passwords.counts.verified == 5)
            #expect(passwords.counts.decoys == 15)
            let (failures, lockedUntil) = try await lockState(db, "doctor")
            #expect(failures == UserStore.maxFailures)
            #expect(lockedUntil != nil)
            // The right password right after the burst is refused, and not even checked.
            let right = try await signIn(port: port, "doctor", TestUsers.password)
            #expect(right.status == .unauthorized)
            #expect(right.body == answers[0].body)
            #expect(passwords.counts.verified == 5)
            // Another account is not affected.
            #expect(try await signIn(port: port, "manager", TestUsers.password).status == .created)
        }
    }

    @Test func aTryWhileLockedDoesNotMoveTheLock() async throws {
        let config = Self.config()
        let passwords = PasswordChecker(slots: config.bcryptConcurrency, cost: config.bcryptCost)
        try await withLiveServer(config: config, passwords: passwords) { port, _, db in
            for _ in 0..<UserStore.maxFailures {
                #expect(try await signIn(port: port, "doctor", Self.wrong).status == .unauthorized)
            }
            let (failures, lockedUntil) = try await lockState(db, "doctor")
            #expect(failures == UserStore.maxFailures)
            let lock = try #require(lockedUntil)
            // One try every so often used to push the lock out each time; now neither a wrong nor the right
            // password touches the row while it is locked.
            for password in [Self.wrong, "another wrong one", TestUsers.password] {
                #expect(try await signIn(port: port, "doctor", password).status == .unauthorized)
            }
            let after = try await lockState(db, "doctor")
            #expect(after.failures == failures)
            #expect(after.lockedUntil == lock)
            #expect(passwords.counts.verified == UserStore.maxFailures)

            // When the lock has run out (moved into the past here), a wrong try starts a new count…
            try await db.client.query("UPDATE app_user SET locked_until = now() - interval '1 second' WHERE username = 'doctor'")
            #expect(try await signIn(port: port, "doctor", Self.wrong).status == .unauthorized)
            let restarted = try await lockState(db, "doctor")
            #expect(restarted.failures == 1 && restarted.lockedUntil == nil)
            // …and the right password signs in and clears it.
            #expect(try await signIn(port: port, "doctor", TestUsers.password).status == .created)
            let cleared = try await lockState(db, "doctor")
            #expect(cleared.failures == 0 && cleared.lockedUntil == nil)
        }
    }

    @Test func aFloodOnOneUsernameGets429WithRetryAfter() async throws {
        let config = Self.config(perUser: 3)
        let passwords = PasswordChecker(slots: config.bcryptConcurrency, cost: config.bcryptCost)
        try await withLiveServer(config: config, passwords: passwords) { port, _, db in
            let answers = try await parallel(12) { _ in try await signIn(port: port, "doctor", Self.wrong) }
            let limited = answers.filter { $0.status == .tooManyRequests }
            // Three a minute: a refill (one per 20 s) during the burst would let one more through.
            #expect(limited.count >= 8)
            #expect(answers.allSatisfy { $0.status == .tooManyRequests || $0.status == .unauthorized })
            for answer in limited { expectRetryProblem(answer) }
            let (failures, _) = try await lockState(db, "doctor")
            #expect(failures <= 4)
            #expect(passwords.counts.verified + passwords.counts.decoys == answers.count - limited.count)
            // The limit is the username's: another user signs in.
            #expect(try await signIn(port: port, "manager", TestUsers.password).status == .created)
        }
    }

    @Test func aFloodFromOneAddressGets429WithRetryAfter() async throws {
        let config = Self.config(perAddress: 3)
        let passwords = PasswordChecker(slots: config.bcryptConcurrency, cost: config.bcryptCost)
        try await withLiveServer(config: config, passwords: passwords) { port, _, db in
            // A different username each time: only the address ties them together.
            let answers = try await parallel(12) { i in try await signIn(port: port, "nobody\(i)", Self.wrong) }
            let limited = answers.filter { $0.status == .tooManyRequests }
            #expect(limited.count >= 8)
            #expect(answers.allSatisfy { $0.status == .tooManyRequests || $0.status == .unauthorized })
            for answer in limited { expectRetryProblem(answer) }
            #expect(passwords.counts.verified + passwords.counts.decoys == answers.count - limited.count)
            // The bucket is the peer's address as the socket gave it.
            let buckets = try await db.client.query("SELECT key FROM sign_in_bucket WHERE key LIKE 'address:%'").decode(String.self).all()
            #expect(buckets == ["address:127.0.0.1"])
        }
    }

    @Test func withEveryBcryptSlotTakenASignInGets429AtOnceAndCountsNothing() async throws {
        let config = Self.config(bcrypt: 2)
        let passwords = PasswordChecker(slots: config.bcryptConcurrency, cost: config.bcryptCost)
        try await withLiveServer(config: config, passwords: passwords) { port, _, db in
            // The test holds both slots, as two long checks would.
            #expect(passwords.tryAcquire() && passwords.tryAcquire())
            #expect(!passwords.tryAcquire())
            let answers = try await parallel(10) { _ in try await signIn(port: port, "doctor", TestUsers.password) }
            #expect(answers.allSatisfy { $0.status == .tooManyRequests })
            for answer in answers {
                expectRetryProblem(answer)
                #expect(answer.headers[.retryAfter] == "1")
            }
            // Turned away before the attempt was counted or any bcrypt ran.
            let (failures, lockedUntil) = try await lockState(db, "doctor")
            #expect(failures == 0 && lockedUntil == nil)
            #expect(passwords.counts.verified == 0 && passwords.counts.decoys == 0)
            passwords.release()
            passwords.release()
            #expect(try await signIn(port: port, "doctor", TestUsers.password).status == .created)
            #expect(passwords.counts.inUse == 0)
        }
    }

    /// Structural, not timed: an unknown user, a disabled one and a locked one each take a bcrypt slot and
    /// one check, exactly as a wrong password does, against a decoy of the configured cost.
    @Test func anUnknownUserTakesABcryptCheckLikeAKnownOne() async throws {
        for cost in [4, 6] {
            #expect(PasswordChecker(slots: 1, cost: cost).decoyCost == cost)
        }
        #expect(
            AppConfig(reader: ConfigReader(provider: InMemoryProvider(values: ["auth.bcryptCost": .init(.int(6), isSecret: false)])))
                .bcryptCost == 6
        )
        try await withTestDatabase { db, _ in
            let f = try await Fixture.make(db)
            let users = try await TestUsers.make(db, f)
            let store = UserStore(db)
            let passwords = PasswordChecker(slots: 1, cost: TestUsers.bcryptCost)

            #expect(try await store.verify(username: "doctor", password: Self.wrong, checker: passwords, logger: quiet) == nil)
            #expect(passwords.counts == .init(inUse: 0, verified: 1, decoys: 0, busy: 0))
            #expect(try await store.verify(username: "nobody", password: Self.wrong, checker: passwords, logger: quiet) == nil)
            #expect(passwords.counts == .init(inUse: 0, verified: 1, decoys: 1, busy: 0))
            try await store.setActive(users.ids[.gridWorker]!, false, logger: quiet)
            #expect(try await store.verify(username: "grid", password: TestUsers.password, checker: passwords, logger: quiet) == nil)
            #expect(passwords.counts == .init(inUse: 0, verified: 1, decoys: 2, busy: 0))

            // With the one slot taken, the unknown user is turned away exactly like the known one.
            #expect(passwords.tryAcquire())
            for username in ["doctor", "nobody"] {
                await #expect(throws: PasswordChecker.Busy.self) {
                    _ = try await store.verify(username: username, password: Self.wrong, checker: passwords, logger: quiet)
                }
            }
            #expect(passwords.counts.busy == 2)
            passwords.release()
            #expect(
                try await store.verify(username: "manager", password: TestUsers.password, checker: passwords, logger: quiet)?.username == "manager"
            )
            #expect(passwords.counts.verified == 2)
        }
    }

    @Test func theLimitsAreConfigurable() {
        let defaults = testConfig()
        #expect(defaults.signInPerAddressPerMinute == 30)
        #expect(defaults.signInPerUserPerMinute == 10)
        #expect(defaults.bcryptConcurrency == max(1, ProcessInfo.processInfo.activeProcessorCount))
        let set = Self.config(perAddress: 7, perUser: 2, bcrypt: 3)
        #expect(set.signInPerAddressPerMinute == 7 && set.signInPerUserPerMinute == 2 && set.bcryptConcurrency == 3)
    }
}

/// A 429 as the service sends it: problem+json, status 429, and a Retry-After of whole seconds.
private func expectRetryProblem(_ answer: Answer, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(answer.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
    #expect(answer.json["status"] as? Int == 429, sourceLocation: sourceLocation)
    let seconds = answer.headers[.retryAfter].flatMap(Int.init)
    #expect(seconds != nil && seconds! >= 1, sourceLocation: sourceLocation)
}

private func lockState(_ db: Database, _ username: String) async throws -> (failures: Int, lockedUntil: Date?) {
    let rows = try await db.client.query("SELECT failed_sign_ins, locked_until FROM app_user WHERE username = \(username)")
        .decode((Int, Date?).self).all()
    let row = try #require(rows.first)
    return (row.0, row.1)
}

/// One answer, as a client saw it.
struct Answer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: String
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
}

/// A sign-in on a connection of its own, as a separate client makes it.
func signIn(port: Int, _ username: String, _ password: String, headers: HTTPFields = [:]) async throws -> Answer {
    var headers = headers
    headers[.contentType] = "application/json"
    let body = try JSONSerialization.data(withJSONObject: ["username": username, "password": password])
    return try await request(port: port, .post, "/v1/sessions", headers: headers, body: ByteBuffer(bytes: body))
}

func request(port: Int, _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> Answer {
    let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(120)))
    client.connect()
    do {
        let response = try await client.execute(.init(uri, method: method, authority: "localhost", headers: headers, body: body))
        try? await client.shutdown()
        return Answer(status: response.status, headers: response.headers, body: response.body.map { String(buffer: $0) } ?? "")
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Runs `n` requests at once and returns their answers in order.
func parallel(_ n: Int, _ work: @Sendable @escaping (Int) async throws -> Answer) async throws -> [Answer] {
    try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
        for i in 0..<n { group.addTask { (i, try await work(i)) } }
        var answers = [Answer?](repeating: nil, count: n)
        for try await (i, answer) in group { answers[i] = answer }
        return answers.map { $0! }
    }
}

/// A live server over a real socket on a fresh database with the fixture's users; the sign-in's bcrypt
/// gate is the test's, so it can count and hold slots.
func withLiveServer(
    config: AppConfig,
    passwords: PasswordChecker,
    _ body: @Sendable @escaping (Int, TestUsers, Database) async throws -> Void
) async throws {
    try await withTestDatabase { db, url in
        let f = try await Fixture.make(db)
        let users = try await TestUsers.make(db, f)
        let service = try makeServiceClient(url: url, config: config, logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await service.run() }
            defer { group.cancelAll() }
            let app = Application(
                router: try buildRouter(config: config, client: service, logger: quiet, passwords: passwords),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                logger: quiet
            )
            try await app.test(.live) { client in try await body(try #require(client.port), users, db) }
        }
    }
}
