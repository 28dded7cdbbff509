import Foundation
import GridcareCore
import GridcareStore
import Hummingbird
import Logging

/// One console request after the session, role and form-token checks: the caller, the database in the
/// caller's scope, the submitted form (POST) and the query string.
struct ConsoleRequest {
    let request: Request
    let caller: ConsoleCaller
    let db: Database
    let form: ConsoleForm
    let query: ConsoleForm
    let parameters: Parameters
    let logger: Logger

    /// A numeric path parameter; a page of a record that cannot exist answers like a missing one.
    func id(_ name: String = "id") throws -> Int64 {
        guard let raw = parameters.get(name), let v = Int64(raw), v > 0 else { throw StoreError.notFound("page") }
        return v
    }
}

extension Console {
    /// Adds the console's routes to `router` (its static files are the router's FileMiddleware).
    func register(on router: Router<GridcareRequestContext>) {
        router.get("/app/login") { request, _ in signInPage(request) }
        router.post("/app/login") { request, context in try await signInSubmitted(request, context: context) }
        router.get("/app") { request, context in try await home(request, context: context) }
        router.post("/app/logout", use: page("signOut") { r in try await signOut(r) })
        registerGridWorkerPages(on: router)
        registerResidentPages(on: router)
        registerTeamPages(on: router)
        registerClinicPages(on: router)
        registerRoundsPages(on: router)
        registerTeamManagementPages(on: router)
        registerBoardPages(on: router)
        registerNotificationPages(on: router)
        registerReferralPages(on: router)
        registerDashboardPages(on: router)
        registerPaperPages(on: router)
    }

    /// A page that needs a session: no valid cookie goes to sign-in (and back here after it); a role the
    /// API operation `operation` does not allow gets the refusal page, audited; a POST without this
    /// session's form token is refused before anything is read or written.
    func page(
        _ operation: String,
        _ handler: @escaping @Sendable (ConsoleRequest) async throws -> Response
    ) -> @Sendable (Request, GridcareRequestContext) async throws -> Response {
        { request, context in
            let logger = context.logger
            guard let caller = try await session(request, logger: logger) else {
                let back = request.method == .get ? request.uri.description : "/app"
                var response = Response.redirect(to: "/app/login?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                response.setCookie(ConsoleSession.expired(ConsoleSession.cookie, secure: config.consoleSecureCookies))
                return response
            }
            let db = database.scoped(caller.scope, operation: "console." + operation)
            guard AccessRules.allows(caller.role, operation) else {
                try await AuditLog(db).record(.call, outcome: .denied, detail: "role", logger: logger)
                return refusal(caller, status: .forbidden, "您的角色不能使用此页面。")
            }
            var form = ConsoleForm("")
            if request.method == .post {
                form = try await ConsoleForm.read(request, limit: config.maxBodyBytes)
                guard let sent = form["csrf"], ConsoleSession.same(sent, caller.csrf) else {
                    try await AuditLog(db).record(.call, outcome: .denied, detail: "console form without its token", logger: logger)
                    return refusal(caller, status: .forbidden, "表单已失效，请返回页面重新提交。")
                }
            }
            let r = ConsoleRequest(
                request: request,
                caller: caller,
                db: db,
                form: form,
                query: ConsoleForm(request.uri.query ?? ""),
                parameters: context.parameters,
                logger: logger
            )
            do {
                // A page's reads share one transaction and one audit statement; a form's changes keep their own.
                if request.method == .get { return try await db.together(logger: logger) { try await handler(r) } }
                return try await handler(r)
            } catch let error as ConsoleFormError {
                return refusal(caller, status: .badRequest, "无法读取表单：\(Labels.field(error.field))的格式不对。")
            } catch {
                // The API's one mapping from an error to a status and its fields, worded for a page.
                return refusal(caller, Problem.from(error, logger: logger))
            }
        }
    }

    /// The caller of the request's session cookie, checked against the token table now.
    func session(_ request: Request, logger: Logger) async throws -> ConsoleCaller? {
        guard let token = request.cookies[ConsoleSession.cookie]?.value, !token.isEmpty,
            let caller = try await TokenStore(database).authenticate(token, logger: logger)
        else { return nil }
        return ConsoleCaller(caller: caller, token: token)
    }

    /// A page that says why nothing was shown or done, with the way back.
    func refusal(_ caller: ConsoleCaller, status: HTTPResponse.Status, _ message: String) -> Response {
        render("message", title: status == .notFound ? "未找到" : "无法完成", caller: caller, status: status, ["message": message])
    }

    /// The page for a problem the API would have answered. A missing record and one out of sight are one
    /// page, word for word, whatever the store called it.
    func refusal(_ caller: ConsoleCaller, _ problem: Problem) -> Response {
        let status = HTTPResponse.Status(code: problem.status)
        let reasons = (problem.errors ?? []).map { "\(Labels.field($0.field))：\($0.reason)" }.joined(separator: "；")
        let message: String =
            switch problem.status {
            case 404: "没有找到这条记录。"
            case 403: "您不能进行此操作（\(problem.detail ?? "")）。"
            case 409: "无法保存，与现有记录或其当前状态冲突：\(reasons.isEmpty ? problem.detail ?? "" : reasons)"
            case 412: "记录已被他人修改，请返回刷新后再试。"
            case 429, 503: "系统繁忙，请稍后再试。"
            case 400, 422: "无法保存：\(reasons.isEmpty ? problem.detail ?? "" : reasons)"
            default: "出现了问题，未能完成（\(problem.status)）。请稍后再试。"
            }
        return refusal(caller, status: status, message)
    }

    func home(_ request: Request, context: GridcareRequestContext) async throws -> Response {
        guard let caller = try await session(request, logger: context.logger) else { return .redirect(to: "/app/login") }
        return .redirect(to: Navigation.home(for: caller.role))
    }

    func signOut(_ r: ConsoleRequest) async throws -> Response {
        _ = try await TokenStore(database).revoke(id: r.caller.caller.tokenId, logger: r.logger)
        var response = Response.redirect(to: "/app/login")
        response.setCookie(ConsoleSession.expired(ConsoleSession.cookie, secure: config.consoleSecureCookies))
        return response
    }
}

/// The console's menu per role, and where each role lands after signing in.
enum Navigation {
    static func items(for role: Role) -> [[String: String]] {
        // 消息 carries the unread badge, which the script keeps current.
        let inbox = ["href": "/app/notifications", "label": "消息", "badge": "yes"]
        switch role {
        case .gridWorker:
            return [
                ["href": "/app/grids", "label": "我的微网格"], ["href": "/app/search", "label": "查找居民"], ["href": "/app/board", "label": "共享药箱"],
                ["href": "/app/clinics", "label": "门诊"], inbox,
            ]
        case .centreStaff, .admin:
            return [
                ["href": "/app/today", "label": "今日"], ["href": "/app/due", "label": "待随访"], ["href": "/app/clinics", "label": "门诊"],
                ["href": "/app/rounds", "label": "巡诊"], ["href": "/app/team", "label": "团队"], ["href": "/app/search", "label": "查找居民"],
                inbox,
            ]
        case .hospitalStaff:
            return [["href": "/app/hospital", "label": "转诊收件箱"], inbox]
        case .districtManager:
            return [["href": "/app/district", "label": "辖区指标"], inbox]
        }
    }

    static func home(for role: Role) -> String {
        switch role {
        case .gridWorker: "/app/grids"
        case .centreStaff, .admin: "/app/today"
        case .hospitalStaff: "/app/hospital"
        case .districtManager: "/app/district"
        }
    }
}
