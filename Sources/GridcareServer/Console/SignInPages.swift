import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

extension Console {
    /// The sign-in form, with a fresh form token in a cookie of its own (there is no session yet).
    func signInPage(_ request: Request, message: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let nonce = ConsoleSession.nonce()
        var values: [String: Any] = ["nonce": nonce, "next": safeNext(ConsoleForm(request.uri.query ?? "")["next"]) ?? ""]
        if let message { values["error"] = message }
        var response = render("signin", title: "登录", caller: nil, status: status, values)
        response.setCookie(
            Cookie(
                name: ConsoleSession.signInCookie,
                value: nonce,
                maxAge: 3600,
                path: "/app",
                secure: config.consoleSecureCookies,
                httpOnly: true,
                sameSite: .strict
            )
        )
        return response
    }

    /// Signs in through the same steps as `POST /v1/sessions` (SignIn): rate limits, bcrypt, lockout, audit,
    /// a token in the token table; the token becomes the session cookie.
    func signInSubmitted(_ request: Request, context: GridcareRequestContext) async throws -> Response {
        let form = try await ConsoleForm.read(request, limit: config.maxBodyBytes)
        guard let sent = form["nonce"], let expected = request.cookies[ConsoleSession.signInCookie]?.value,
            ConsoleSession.same(sent, expected)
        else {
            return signInPage(request, message: "表单已失效，请重新登录。", status: .forbidden)
        }
        guard let username = form["username"], let password = form.values["password"]?.first, !password.isEmpty else {
            return signInPage(request, message: "请输入用户名和密码。", status: .unprocessableContent)
        }
        do {
            let (issued, _) = try await signIn(
                username: username,
                password: password,
                address: context.remoteAddress?.ipAddress ?? "unknown",
                label: "console",
                logger: context.logger
            )
            var response = Response.redirect(to: safeNext(form["next"]) ?? "/app")
            let seconds = max(60, Int(issued.expiresAt.timeIntervalSinceNow))
            response.setCookie(ConsoleSession.sessionCookie(issued.token, maxAge: seconds, secure: config.consoleSecureCookies))
            response.setCookie(ConsoleSession.expired(ConsoleSession.signInCookie, secure: config.consoleSecureCookies))
            return response
        } catch SignIn.Refusal.rateLimited(_, let seconds) {
            return signInPage(request, message: "登录尝试过于频繁，请 \(seconds) 秒后再试。", status: .tooManyRequests)
        } catch SignIn.Refusal.busy {
            return signInPage(request, message: "系统繁忙，请稍后再试。", status: .tooManyRequests)
        } catch SignIn.Refusal.wrongCredentials {
            return signInPage(request, message: "用户名或密码错误，或账号已被锁定。", status: .unauthorized)
        }
    }

    /// Where to go after signing in: a console path of this service only, never another site.
    func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/app"), !next.hasPrefix("//"), !next.contains("\\"), !next.hasPrefix("/app/login") else { return nil }
        return next
    }
}
