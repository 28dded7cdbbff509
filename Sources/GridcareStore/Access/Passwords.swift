import Dispatch
import HummingbirdBcrypt

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
        await offload { Bcrypt.hash(password, cost: UInt8(clamping: max(4, min(cost, 31)))) }
    }

    public static func verify(_ password: String, hash: String) async -> Bool {
        await offload { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of nothing anyone knows, verified against when the user does not exist, so an unknown
    /// username takes as long to refuse as a wrong password.
    static let decoy = Bcrypt.hash(String(UInt64.random(in: 0...UInt64.max), radix: 36), cost: 12)

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}
