import Foundation
import GridcareCore
import GridcareStore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAPIRuntime

/// Request-scoped values the generated handlers cannot receive as arguments.
enum RequestScope {
    @TaskLocal static var logger = Logger(label: "gridcare")
    /// The signed-in caller; nil only for the operations that need no token.
    @TaskLocal static var actor: Caller?
    /// The operationId being served, for the audit trail.
    @TaskLocal static var operation = ""
    /// The peer's IP address (not a forwarded one: no proxy is trusted); "unknown" without a socket.
    @TaskLocal static var clientAddress = "unknown"
}

/// The request context of the service's router: Hummingbird's basic one plus the peer's address, which
/// sign-in's rate limit needs.
public struct GridcareRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Puts the peer's address where the OpenAPI handlers can read it (RequestScope.clientAddress).
struct ClientAddressMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let address = context.remoteAddress?.ipAddress else { return try await next(request, context) }
        return try await RequestScope.$clientAddress.withValue(address) { try await next(request, context) }
    }
}

/// Turns every thrown error into problem+json, and never lets a 500 carry a driver's words.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await RequestScope.$logger.withValue(context.logger) {
                try await next(request, context)
            }
        } catch let error as HTTPError where error.status == .notFound {
            // The router says 404 for a known path with an unknown method too; tell them apart.
            guard let allowed = routes.methods(for: request.uri.path), !allowed.contains(request.method.rawValue) else {
                return Self.response(Problem.from(error, logger: context.logger))
            }
            var response = Self.response(Problem(status: .methodNotAllowed, detail: "\(request.method) is not allowed here."))
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        } catch {
            return Self.response(Problem.from(error, logger: context.logger))
        }
    }

    static func response(_ problem: Problem) -> Response {
        let data = (try? JSONEncoder.gridcare.encode(problem)) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if problem.status == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"gridcare\"" }
        if let seconds = problem.retryAfter { headers[.retryAfter] = "\(seconds)" }
        return Response(status: .init(code: problem.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The OpenAPI runtime percent-encodes header values, which turns an entity tag `"3"` into `%223%22`
/// and an address `/v1/…` into `%2Fv1%2F…`; this puts them back as written, so clients can echo the tag
/// as If-Match and follow the address, as HTTP intends.
struct ETagQuotesMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // The same for an address in Content-Location (the FHIR export's status address).
        for name in [HTTPField.Name.eTag, .contentLocation] {
            if let value = response.headers[name], value.contains("%") { response.headers[name] = value.removingPercentEncoding ?? value }
        }
        return response
    }
}

/// Refuses bodies over the limit with 413 before the OpenAPI runtime (which reads bodies unbounded) sees them.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw Problem(status: .contentTooLarge, detail: "The body is over \(maxBytes) bytes.")
        }
        // Requests without a body have nothing to measure.
        if request.headers[.contentLength] == nil && request.headers[.transferEncoding] == nil {
            return try await next(request, context)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: maxBytes)
        } catch {
            throw Problem(status: .contentTooLarge, detail: "The body is over \(maxBytes) bytes.")
        }
        return try await next(request, context)
    }
}

/// Answers 503 when a request (in practice, its database work) outlives the deadline, instead of letting
/// the pool wait a minute for a connection. The work is cancelled when the deadline passes; the pool's
/// lease wait and the driver honour cancellation, so the answer leaves on time.
struct DeadlineMiddleware: ServerMiddleware {
    let deadline: Duration
    /// Operations whose own work has a budget of its own get it on top: a rounds plan solves for up to
    /// the 30 s its `seconds` allows, and the city-scale mobilisation check reads and checks every
    /// micro-grid (about 20 s for 119,000 of them); their database statements keep the plain deadline.
    /// The indicators of a period that is not rolled up are counted live (`rules.indicators.liveCountSeconds`).
    var allowances: [String: Duration] = ["planRounds": .seconds(30), "mobilisationReport": .seconds(60)]

    let watch = DeadlineWatch()

    init(deadline: Duration, indicatorLiveCount: Duration = .seconds(60)) {
        self.deadline = deadline
        allowances["indicatorReport"] = indicatorLiveCount
    }

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let deadline = self.deadline + (allowances[operationID] ?? .zero)
        return try await withoutActuallyEscaping(next) { next in
            // The work runs as a task of its own so the watch can cancel it; it is awaited here either way,
            // so `next` never outlives this call. Task-locals (the request's logger) carry over.
            let work = Task { try await next(request, body, metadata) }
            let id = watch.watch(until: .now + deadline) { work.cancel() }
            let result = await withTaskCancellationHandler {
                await work.result
            } onCancel: {
                work.cancel()
            }
            let inTime = watch.finished(id)
            if case .failure = result, !inTime {
                throw Problem(status: .serviceUnavailable, detail: "The request did not finish within \(deadline); the database may be unavailable.")
            }
            return try result.get()
        }
    }
}

extension JSONEncoder {
    /// The service's one JSON encoder configuration, shared with tests.
    static var gridcare: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
