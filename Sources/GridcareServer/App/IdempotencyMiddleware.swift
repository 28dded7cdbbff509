import Foundation
import GridcareCore
import GridcareStore
import HTTPTypes
import OpenAPIRuntime

/// `Idempotency-Key` on POST: the first request runs and its response is kept; a retry with the same key
/// and body gets that response again (marked `Idempotent-Replayed: true`) and creates nothing; the same
/// key with another body is refused (422). A retry while the first is still running waits for it.
struct IdempotencyMiddleware: ServerMiddleware {
    let store: IdempotencyStore
    let maxBodyBytes: Int

    static let header = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard request.method == .post, let key = request.headerFields[Self.header] else {
            return try await next(request, body, metadata)
        }
        guard (1...200).contains(key.utf8.count) else {
            throw FieldError("Idempotency-Key", "must be 1 to 200 characters")
        }
        let logger = RequestScope.logger
        // Keys are the sender's own: another user's identical key is another request.
        let user = RequestScope.actor?.userId ?? 0
        let bytes = try await Self.collect(body, upTo: maxBodyBytes)
        while true {
            switch try await store.claim(userId: user, operation: operationID, key: key, body: Self.fingerprint(request, bytes), logger: logger) {
            case .first:
                return try await runFirst(request, bytes, metadata, operationID, key, user, next)
            case .replay(let status, let contentType, let stored):
                var response = HTTPResponse(status: .init(code: status))
                if let contentType { response.headerFields[HTTPField.Name.contentType] = contentType }
                response.headerFields[Self.replayed] = "true"
                return (response, HTTPBody(stored))
            case .mismatch:
                throw FieldError("Idempotency-Key", "was already used with a different request (another body or another record)")
            case .pending:
                // The deadline middleware bounds this wait.
                try await Task.sleep(for: .milliseconds(25))
            }
        }
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

    private func runFirst(
        _ request: HTTPRequest, _ bytes: [UInt8], _ metadata: ServerRequestMetadata, _ operationID: String, _ key: String, _ user: Int64,
        _ next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let logger = RequestScope.logger
        do {
            let (response, body) = try await next(request, HTTPBody(bytes), metadata)
            let out = try await Self.collect(body, upTo: 16 << 20)
            try await store.finish(userId: user, operation: operationID, key: key, status: response.status.code,
                                   contentType: response.headerFields[.contentType], body: out, logger: logger)
            return (response, HTTPBody(out))
        } catch {
            // A refused or failed request created nothing: let a retry run it afresh. The release must
            // happen even when the deadline cancelled this task.
            let store = self.store
            await Task.detached { try? await store.release(userId: user, operation: operationID, key: key, logger: logger) }.value
            throw error
        }
    }
}
