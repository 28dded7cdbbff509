import Dispatch
import HummingbirdBcrypt
import Synchronization

/// bcrypt, run on a dispatch queue: a hash costs a quarter of a second at cost 12, which must not sit on
/// one of the few cooperative threads that serve every request.
public enum Passwords {
    /// Rules for a new password: long enough to resist guessing, short enough for bcrypt (72 bytes).
    public static func problem(with password: String) -> String? {
        if password.count < 10 { return "must be at least 10 characters" }
        if password.utf8.count > 72 { return "must be at most 72 bytes" }
        return nil
    }

    public static func hash(_ password: String, cost: Int) async -> String {
        await offload { Bcrypt.hash(password, cost: bcryptCost(cost)) }
    }

    static func bcryptCost(_ cost: Int) -> UInt8 { UInt8(clamping: max(4, min(cost, 31))) }

    public static func verify(_ password: String, hash: String) async -> Bool {
        await offload { Bcrypt.verify(password, hash: hash) }
    }

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}

/// Checks sign-in passwords with bcrypt, at most `slots` at once: bcrypt is the costliest thing the service
/// does (a quarter of a second of a core at cost 12), so a flood of sign-ins must be turned away at once
/// (429) rather than queue past the request deadline (503). An unknown user is checked against a decoy
/// hash of the configured cost, in a slot like anyone else, so it takes as long as a wrong password.
public final class PasswordChecker: Sendable {
    /// Every slot is taken: answer at once and let the client retry shortly.
    public struct Busy: Error, Sendable {}

    public let slots: Int
    /// A hash of nothing anyone knows, at the cost new passwords get.
    let decoy: String
    private let state = Mutex(Counts())

    /// What the checker has done, for tests and metrics.
    public struct Counts: Sendable, Equatable {
        /// Slots held right now.
        public var inUse = 0
        /// Checks against a user's own hash.
        public var verified = 0
        /// Checks against the decoy (an unknown, disabled or locked user).
        public var decoys = 0
        /// Sign-ins turned away because every slot was taken.
        public var busy = 0

        public init(inUse: Int = 0, verified: Int = 0, decoys: Int = 0, busy: Int = 0) {
            self.inUse = inUse
            self.verified = verified
            self.decoys = decoys
            self.busy = busy
        }
    }

    public init(slots: Int, cost: Int) {
        self.slots = max(1, slots)
        decoy = Bcrypt.hash(String(UInt64.random(in: 0...UInt64.max), radix: 36), cost: Passwords.bcryptCost(cost))
    }

    public var counts: Counts { state.withLock { $0 } }

    /// The decoy's work factor, as bcrypt wrote it ("$2b$12$…").
    public var decoyCost: Int? { Int(decoy.split(separator: "$").dropFirst().first ?? "") }

    /// Takes a slot without waiting; false when every one is taken. `release` gives it back.
    public func tryAcquire() -> Bool {
        state.withLock { c in
            guard c.inUse < slots else {
                c.busy += 1
                return false
            }
            c.inUse += 1
            return true
        }
    }

    public func release() {
        state.withLock { $0.inUse -= 1 }
    }

    /// Runs `body` holding a slot, or throws Busy at once when there is none.
    public func withSlot<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard tryAcquire() else { throw Busy() }
        defer { release() }
        return try await body()
    }

    /// Checks `password` against a user's hash (call within `withSlot`).
    func verify(_ password: String, hash: String) async -> Bool {
        state.withLock { $0.verified += 1 }
        return await Passwords.verify(password, hash: hash)
    }

    /// Spends a check's time on the decoy (call within `withSlot`).
    func spendDecoy(_ password: String) async {
        state.withLock { $0.decoys += 1 }
        _ = await Passwords.verify(password, hash: decoy)
    }
}
