import Crypto
import Foundation
import GridcareServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// A stand-in on loopback for the receivers Gridcare cannot reach from here, answering as they do: WeCom's
/// group robot and application API (errcode, access tokens, its duplicate check), an SMS gateway
/// (Code/BizId, `OutId` as the idempotency key) and a webhook that checks the HMAC signature. It can be
/// down (each answers its own "busy"), slow, or refusing; it counts what it accepted once and what it saw again.
final class NotificationReceiver: Sendable {
    enum Mode: Sendable { case up, busy, slow }

    struct State {
        var mode = Mode.up
        var robot: [String] = []
        /// Application messages by (user, text): WeCom's duplicate check keeps the first.
        var app: [String: Int] = [:]
        /// SMS and webhook deliveries by idempotency key, with how many times each came.
        var sms: [String: (phone: String, content: String, times: Int)] = [:]
        var hooks: [String: Int] = [:]
        /// Every webhook body taken, as sent.
        var hookBodies: [String] = []
        var badSignatures = 0
        var tokensIssued = 0
    }

    let state = Mutex(State())
    let secret: String

    init(secret: String = "platform-secret") { self.secret = secret }

    func set(_ mode: Mode) { state.withLock { $0.mode = mode } }

    var router: Router<BasicRequestContext> {
        let router = Router()
        router.post("/cgi-bin/webhook/send") { request, context in
            let json = try await Self.json(request, context)
            return self.answer { s in
                guard s.mode != .busy else { return ["errcode": -1, "errmsg": "system busy"] }
                guard request.uri.queryParameters["key"] == "robot-key" else { return ["errcode": 93000, "errmsg": "invalid webhook url"] }
                s.robot.append(((json["text"] as? [String: Any])?["content"] as? String) ?? "")
                return ["errcode": 0, "errmsg": "ok"]
            }
        }
        router.get("/cgi-bin/gettoken") { request, _ in
            self.answer { s in
                guard request.uri.queryParameters["corpsecret"] == "corp-secret" else { return ["errcode": 40001, "errmsg": "invalid credential"] }
                s.tokensIssued += 1
                return ["errcode": 0, "errmsg": "ok", "access_token": "token-\(s.tokensIssued)", "expires_in": 7200]
            }
        }
        router.post("/cgi-bin/message/send") { request, context in
            let json = try await Self.json(request, context)
            return self.answer { s in
                // An unknown user is told apart before anything else: no retry can fix it.
                guard let user = json["touser"] as? String, user != "nobody" else { return ["errcode": 81013, "errmsg": "user not found"] }
                guard s.mode != .busy else { return ["errcode": -1, "errmsg": "system busy"] }
                guard request.uri.queryParameters["access_token"] == "token-\(s.tokensIssued)" else {
                    return ["errcode": 42001, "errmsg": "access_token expired"]
                }
                let text = ((json["text"] as? [String: Any])?["content"] as? String) ?? ""
                s.app["\(user)|\(text)", default: 0] += 1
                return ["errcode": 0, "errmsg": "ok", "msgid": "msg-\(s.app.count)"]
            }
        }
        router.post("/sms/send") { request, context in
            let json = try await Self.json(request, context)
            if self.state.withLock({ $0.mode }) == .slow { try await Task.sleep(for: .milliseconds(300)) }
            return self.answer { s in
                guard s.mode != .busy else { return ["Code": "isp.SYSTEM_ERROR", "Message": "busy"] }
                guard let phone = json["PhoneNumbers"] as? String, phone.count == 11 else { return ["Code": "isv.MOBILE_NUMBER_ILLEGAL"] }
                let key = json["OutId"] as? String ?? ""
                let param = (json["TemplateParam"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]
                let content = param?["content"] as? String ?? ""
                s.sms[key, default: (phone, content, 0)].times += 1
                return ["Code": "OK", "Message": "OK", "BizId": "biz-\(key.prefix(8))"]
            }
        }
        router.post("/hook") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let bytes = Array(body.readableBytesView)
            let timestamp = request.headers[HTTPField.Name("X-Gridcare-Timestamp")!] ?? ""
            var mac = HMAC<SHA256>(key: SymmetricKey(data: Array(self.secret.utf8)))
            mac.update(data: Array((timestamp + ".").utf8))
            mac.update(data: bytes)
            let expected = "sha256=" + mac.finalize().map { String(format: "%02x", $0) }.joined()
            let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? ""
            let status: HTTPResponse.Status = self.state.withLock { s in
                if s.mode == .busy { return .serviceUnavailable }
                guard request.headers[HTTPField.Name("X-Gridcare-Signature")!] == expected else {
                    s.badSignatures += 1
                    return .unauthorized
                }
                s.hooks[key, default: 0] += 1
                s.hookBodies.append(String(decoding: bytes, as: UTF8.self))
                return .ok
            }
            return Response(status: status)
        }
        return router
    }

    func answer(_ body: (inout State) -> [String: Any]) -> Response {
        let json = state.withLock { body(&$0) }
        let data = (try? JSONSerialization.data(withJSONObject: json)) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(_ request: Request, _ context: BasicRequestContext) async throws -> [String: Any] {
        let body = try await request.body.collect(upTo: 1 << 20)
        return (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// Runs the receiver on a loopback port for `body`.
    func run(_ body: @Sendable @escaping (Int) async throws -> Void) async throws {
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(client.port!) }
    }
}

extension NotificationSettings {
    /// Every channel pointed at a receiver on `port`, with short retries for tests.
    static func receiver(port: Int) -> NotificationSettings {
        var s = NotificationSettings()
        let base = "http://127.0.0.1:\(port)"
        s.robotURL = "\(base)/cgi-bin/webhook/send?key=robot-key"
        s.wecomBase = base
        s.corpId = "corp"
        s.corpSecret = "corp-secret"
        s.agentId = 1_000_002
        s.smsURL = "\(base)/sms/send"
        s.webhookURL = "\(base)/hook"
        s.webhookSecret = "platform-secret"
        s.quietHours = nil
        s.retryBase = .seconds(1)
        s.retryMax = .seconds(1)
        s.poll = .milliseconds(50)
        s.timeout = .seconds(5)
        return s
    }
}
