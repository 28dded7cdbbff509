import Foundation
import GridcareCore
import GridcareStore
import Logging

/// Signing in, for the API and the console alike: the rate limits (a database bucket per address and per
/// username), a bcrypt slot, the password check with its lockout, the audit row of a refusal, and a token
/// in the one token table. A flood is turned away before it reaches bcrypt or the attempt counter.
struct SignIn {
    let database: Database
    let config: AppConfig
    let passwords: PasswordChecker

    /// Why a sign-in was refused; each door words it for its own users.
    enum Refusal: Error {
        case rateLimited(what: String, seconds: Int)
        case busy
        /// One answer for an unknown user, a wrong password, a locked or a disabled account.
        case wrongCredentials
    }

    /// A new token and the caller it signs in, labelled `label` (`sign-in` for the API, `console` for the web).
    func callAsFunction(username: String, password: String, address: String, label: String, logger: Logger) async throws -> (IssuedToken, Caller) {
        do {
            try await SignInLimits(database).take(
                address: address,
                username: username,
                perAddressPerMinute: config.signInPerAddressPerMinute,
                perUserPerMinute: config.signInPerUserPerMinute,
                logger: logger
            )
        } catch let exceeded as SignInLimits.Exceeded {
            logger.notice("sign-in rate limited", metadata: ["by": "\(exceeded.what)"])
            throw Refusal.rateLimited(what: exceeded.what, seconds: exceeded.seconds)
        }
        let verified: User?
        do {
            verified = try await UserStore(database).verify(username: username, password: password, checker: passwords, logger: logger)
        } catch is PasswordChecker.Busy {
            logger.notice("sign-in turned away: every password check is busy")
            throw Refusal.busy
        }
        let tokens = TokenStore(database)
        guard let user = verified,
            case let issued = try await tokens.issue(userId: user.id, lifetime: config.tokenLifetime, label: label, logger: logger),
            let caller = try await tokens.authenticate(issued.token, logger: logger)
        else {
            try await AuditLog(database.scoped(nil, operation: "signIn"))
                .record(.call, outcome: .denied, detail: "sign-in as \(username.prefix(64))", logger: logger)
            throw Refusal.wrongCredentials
        }
        return (issued, caller)
    }
}
