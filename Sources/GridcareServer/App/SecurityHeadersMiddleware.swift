import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Headers every answer carries, errors included (it wraps the problem middleware): nothing under /v1 —
/// where personal data lives — is kept by a cache; no answer is sniffed into another type; an HTML page
/// loads nothing but what the policy names, and runs no inline script.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var contentSecurityPolicy: String {
        "default-src 'none'; style-src 'self' '\(sha256(ReferralSlipPage.style))'; img-src 'self' data:; script-src 'self'; "
            + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    }
    let policy = Self.contentSecurityPolicy

    static func sha256(_ text: String) -> String {
        "sha256-" + Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString()
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        let path = request.uri.path
        if path.hasPrefix("/v1/") || (path.hasPrefix("/app") && !path.hasPrefix("/app/static/")) {
            response.headers[.cacheControl] = "no-store"
        }
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            response.headers[.contentSecurityPolicy] = policy
            response.headers[.xFrameOptions] = "DENY"
            response.headers[.referrerPolicy] = "no-referrer"
        }
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
