import Hummingbird

/// Counts every answered request and its latency under its route's template. It runs outside the
/// problem middleware, so a refusal is counted with the status the client saw.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.recordRequest(operation: label(request, context), status: status, duration: ContinuousClock.now - start)
            throw error
        }
        metrics.recordRequest(operation: label(request, context), status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }

    /// The method and the matched route (`GET /v1/residents/{id}`); the console's files as one, and
    /// whatever matched no route as one, so made-up paths make no new series.
    func label(_ request: Request, _ context: Context) -> String {
        // The router names what matched nothing "NotFound".
        if let path = context.endpointPath, path != "NotFound" { return "\(request.method) \(path)" }
        if request.uri.path.hasPrefix("/app/static/") { return "GET /app/static/*" }
        return "unmatched"
    }
}
