import Foundation
import GridcareCore
import GridcareStore
import HTTPTypes
import Logging
import OpenAPIRuntime

/// `Idempotency-Key` on POST: the first request runs and its response is kept; a retry with the same key
/// and body gets that response again (marked `Idempotent-Replayed: true`) and creates nothing; the same
/// key with another body is refused (422). A retry while the first is still running waits for it.
/// The key, the request's writes and the kept response commit in one transaction (IdempotencyStore.perform);
/// only a SHA-256 of the request is kept. Sign-in ignores the key: its body is a password and its response
/// a token, and a retry may as well get a new token.
struct IdempotencyMiddleware: ServerMiddleware {
    let store: IdempotencyStore
    let maxBodyBytes: Int

    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    /// Operations whose request or response carries a secret: they never go through idempotency.
    static let ignored: Set<String> = ["signIn"]

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard request.method == .post, !Self.ignored.contains(operationID), let key = request.headerFields[Self.header] else {
            return try await next(request, body, metadata)
        }
        guard (1...200).contains(key.utf8.count) else {
            throw FieldError("Idempotency-Key", "must be 1 to 200 characters")
        }
        let logger = RequestScope.logger
        // Keys are the sender's own: another user's identical key is another request.
        let user = RequestScope.actor?.userId ?? 0
        let bytes = try await Self.collect(body, upTo: maxBodyBytes)
        let outcome = try await store.perform(
            userId: user,
            operation: operationID,
            key: key,
            fingerprint: Self.fingerprint(request, bytes),
            logger: logger,
            keepsRefusal: Self.isRefusal
        ) {
            let (response, body) = try await next(request, HTTPBody(bytes), metadata)
            let out = try await Self.collect(body, upTo: 16 << 20)
            let kept = IdempotencyStore.Response(status: response.status.code, contentType: response.headerFields[.contentType], body: out)
            return ((response, out), kept)
        }
        switch outcome {
        case .ran(let (response, out)):
            return (response, HTTPBody(out))
        case .replay(let stored):
            var response = HTTPResponse(status: .init(code: stored.status))
            if let contentType = stored.contentType { response.headerFields[HTTPField.Name.contentType] = contentType }
            response.headerFields[Self.replayed] = "true"
            return (response, HTTPBody(stored.body))
        case .mismatch:
            throw FieldError("Idempotency-Key", "was already used with a different request (another body or another record)")
        }
    }

    /// A refusal (any 4xx) commits what it wrote — the audit row saying so — with the key released, as
    /// without a key; anything else (5xx, the deadline) rolls the whole request back.
    static func isRefusal(_ error: any Error) -> Bool {
        Problem.from(error, logger: Logger(label: "idempotency", factory: { _ in SwiftLogNoOpLogHandler() })).status < 500
    }

    /// What makes two requests the same: the path (which record: /contracts/47/renew is not /contracts/48/renew)
    /// and the canonical body.
    static func fingerprint(_ request: HTTPRequest, _ bytes: [UInt8]) -> [UInt8] {
        Array((request.path ?? "").utf8) + [0] + canonical(bytes)
    }

    /// The body with JSON keys sorted, so a retry that serialises the same object in another key order is
    /// still the same request.
    static func canonical(_ bytes: [UInt8]) -> [UInt8] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])
        else { return bytes }
        return [UInt8](data)
    }

    static func collect(_ body: HTTPBody?, upTo limit: Int) async throws -> [UInt8] {
        guard let body else { return [] }
        return try await [UInt8](collecting: body, upTo: limit)
    }
}
