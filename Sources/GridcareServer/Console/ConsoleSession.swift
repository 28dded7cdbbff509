import Crypto
import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// A signed-in console user: the caller their session cookie's token belongs to, checked on every request
/// against the one token table (expiry, revocation, a disabled account), exactly as a bearer token is.
struct ConsoleCaller: Sendable {
    let caller: Caller
    /// The session's token (the cookie's value); never written into a page.
    let token: String

    var role: Role { caller.role }
    var username: String { caller.username }
    var scope: Scope { caller.scope }
    /// The form token of this session: derived from the session's secret, so a page of another site can
    /// neither read nor guess it, and signing out (revoking the token) retires it.
    var csrf: String { ConsoleSession.csrf(for: token) }
}

/// The console's cookies and form tokens.
enum ConsoleSession {
    /// The session cookie: the API token itself, HttpOnly and SameSite=Strict, scoped to /app.
    static let cookie = "gridcare_session"
    /// The sign-in page's own form token, before there is a session (a double-submit cookie).
    static let signInCookie = "gridcare_signin"

    static func csrf(for token: String) -> String {
        let digest = SHA256.hash(data: Data(("gridcare-console-form:" + token).utf8))
        return Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A fresh random value for the sign-in form's token.
    static func nonce() -> String {
        var bytes = [UInt8](repeating: 0, count: 24)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Compares two secrets in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static func sessionCookie(_ token: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(name: cookie, value: token, maxAge: maxAge, path: "/app", secure: secure, httpOnly: true, sameSite: .strict)
    }

    static func expired(_ name: String, secure: Bool) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/app", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
