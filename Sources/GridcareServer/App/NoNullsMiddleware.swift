import Foundation
import GridcareCore
import HTTPTypes
import OpenAPIRuntime

/// Refuses `null` anywhere in a JSON request body. The generated decoders read a null as "not sent",
/// so `{"longitude": null}` would silently change nothing while the client believes it cleared the
/// value; the API says to leave a field out instead, and this keeps it to its word.
struct NoNullsMiddleware: ServerMiddleware {
    let maxBodyBytes: Int

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let body, request.headerFields[.contentType]?.lowercased().contains("json") == true else {
            return try await next(request, body, metadata)
        }
        let bytes = try await [UInt8](collecting: body, upTo: maxBodyBytes)
        // Malformed JSON is left for the decoder, which names what is wrong.
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            let path = Self.firstNull(in: object, at: "")
        {
            throw FieldError(path.isEmpty ? "body" : path, "must not be null; leave the field out instead")
        }
        return try await next(request, HTTPBody(bytes), metadata)
    }

    /// The path (`a.b[2].c`) of the first null, in key order so the answer is stable.
    static func firstNull(in value: Any, at path: String) -> String? {
        switch value {
        case is NSNull:
            return path
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                if let found = firstNull(in: object[key]!, at: path.isEmpty ? key : path + "." + key) { return found }
            }
            return nil
        case let array as [Any]:
            for (i, element) in array.enumerated() {
                if let found = firstNull(in: element, at: path + "[\(i)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }
}
