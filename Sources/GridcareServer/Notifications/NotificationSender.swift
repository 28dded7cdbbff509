import AsyncHTTPClient
import Crypto
import Foundation
import GridcareStore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends one delivery on its channel and reads the receiver's answer the way that receiver words it:
/// WeCom's `errcode`, the SMS gateway's `Code`, the webhook's HTTP status. Each request carries the
/// delivery's idempotency key in the receiver's own field for it (or, for WeCom's robot, in the text).
final class NotificationSender: Sendable {
    let settings: NotificationSettings
    let http: HTTPClient
    let logger: Logger
    /// WeCom's application access token, fetched once and again when WeCom says it expired.
    let token = Mutex<String?>(nil)

    init(settings: NotificationSettings, http: HTTPClient, logger: Logger) {
        self.settings = settings
        self.http = http
        self.logger = logger
    }

    /// What the attempt came to, and the receiver's HTTP status when there was one.
    func send(_ d: ClaimedDelivery) async -> (AttemptOutcome, Int?) {
        do {
            switch d.channel {
            case .wecomRobot: return try await robot(d)
            case .wecomApp: return try await application(d)
            case .sms: return try await sms(d)
            case .webhook: return try await webhook(d)
            }
        } catch {
            return (.retry(reason: "unreachable: \(String(describing: error).prefix(200))"), nil)
        }
    }

    // MARK: WeCom

    /// A group's robot: the kind of event only (a group is not a resident's carers), with the key's head
    /// so a resend is recognisable.
    func robot(_ d: ClaimedDelivery) async throws -> (AttemptOutcome, Int?) {
        let text = "【网格医护】\(NotificationText.headline(d.kind))，请登录系统查看。（编号 \(d.idempotencyKey.prefix(8))）"
        let (status, body) = try await post(settings.robotURL!, json: WeComText(msgtype: "text", text: .init(content: text)))
        return (Self.wecom(status, body), status)
    }

    /// An application message to the recipient, with WeCom's own duplicate check on.
    func application(_ d: ClaimedDelivery) async throws -> (AttemptOutcome, Int?) {
        guard let user = d.username else { return (.refused(reason: "no WeCom user"), nil) }
        let base = settings.wecomBase!
        let access: String
        if let cached = token.withLock({ $0 }) {
            access = cached
        } else {
            let url = "\(base)/cgi-bin/gettoken?corpid=\(Self.query(settings.corpId))&corpsecret=\(Self.query(settings.corpSecret))"
            let (status, body) = try await get(url)
            guard status == 200, let answer = Self.decode(WeComAnswer.self, body), answer.errcode == 0, let t = answer.access_token else {
                return (.retry(reason: "gettoken: \(status) \(String(decoding: body.prefix(200), as: UTF8.self))"), status)
            }
            token.withLock { $0 = t }
            access = t
        }
        let message = WeComAppMessage(
            touser: user,
            msgtype: "text",
            agentid: settings.agentId,
            text: .init(content: "\(d.title)\n\(d.body)"),
            enable_duplicate_check: 1,
            duplicate_check_interval: 1800
        )
        let (status, body) = try await post("\(base)/cgi-bin/message/send?access_token=\(Self.query(access))", json: message)
        let code = Self.decode(WeComAnswer.self, body)?.errcode
        if code == 40014 || code == 42001 { token.withLock { $0 = nil } }
        return (Self.wecom(status, body), status)
    }

    /// WeCom answers 200 with an `errcode`: 0 is done; a busy or expired answer is worth another try;
    /// a user or key it does not know never will be.
    static func wecom(_ status: Int, _ body: [UInt8]) -> AttemptOutcome {
        guard status == 200, let answer = decode(WeComAnswer.self, body), let code = answer.errcode else {
            return .retry(reason: "HTTP \(status)")
        }
        switch code {
        case 0: return .delivered(receipt: answer.msgid ?? "ok")
        case 40014, 42001, 45009, 45033, -1: return .retry(reason: "errcode \(code) \(answer.errmsg ?? "")")
        default: return .refused(reason: "errcode \(code) \(answer.errmsg ?? "")")
        }
    }

    // MARK: SMS

    /// The gateway's template message to the resident's phone; `OutId` is the idempotency key.
    func sms(_ d: ClaimedDelivery) async throws -> (AttemptOutcome, Int?) {
        guard let phone = d.phone, !phone.isEmpty else { return (.refused(reason: "no phone"), nil) }
        let content = NotificationText.withoutIdentityNumbers(d.body)
        let param = String(decoding: try Self.encoder.encode(["content": content]), as: UTF8.self)
        let request = SMSRequest(
            PhoneNumbers: phone,
            SignName: settings.smsSign,
            TemplateCode: settings.smsTemplate,
            TemplateParam: param,
            OutId: d.idempotencyKey
        )
        let (status, body) = try await post(settings.smsURL!, json: request, headers: ["Authorization": "Bearer \(settings.smsKey)"])
        guard status == 200, let answer = Self.decode(SMSAnswer.self, body), let code = answer.Code else {
            return (.retry(reason: "HTTP \(status)"), status)
        }
        switch code {
        case "OK": return (.delivered(receipt: answer.BizId), status)
        case "isv.MOBILE_NUMBER_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS", "isv.SMS_SIGNATURE_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT":
            return (.refused(reason: code), status)
        default: return (.retry(reason: code), status)
        }
    }

    // MARK: Webhook

    /// The regional platform's webhook: the event's ids and kind, signed with HMAC-SHA256 over the
    /// timestamp and the body. 2xx is done; a refusal (4xx other than 408 and 429) is not retried.
    func webhook(_ d: ClaimedDelivery) async throws -> (AttemptOutcome, Int?) {
        // ISO8601DateFormatter and JSONSerialization were 29% of the service's CPU per delivery (ICU's
        // formatter made for every message, `Any` cast per value); the format style and a Codable body are not.
        let event = WebhookEvent(
            createdAt: d.createdAt.formatted(.iso8601),
            districtId: d.districtId,
            event: d.eventKey,
            id: d.idempotencyKey,
            kind: d.kind,
            residentId: d.residentId,
            urgent: d.urgent
        )
        let body = try Self.encoder.encode(event)
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = Self.signature(secret: settings.webhookSecret, timestamp: timestamp, body: Array(body))
        let (status, _) = try await post(
            settings.webhookURL!,
            raw: Array(body),
            headers: ["Idempotency-Key": d.idempotencyKey, "X-Gridcare-Timestamp": timestamp, "X-Gridcare-Signature": "sha256=" + signature]
        )
        switch status {
        case 200..<300: return (.delivered(receipt: "\(status)"), status)
        case 408, 429, 500...: return (.retry(reason: "HTTP \(status)"), status)
        default: return (.refused(reason: "HTTP \(status)"), status)
        }
    }

    /// The hex HMAC-SHA256 of "timestamp.body" under the shared secret: what a receiver recomputes.
    static func signature(secret: String, timestamp: String, body: [UInt8]) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        mac.update(data: Array((timestamp + ".").utf8))
        mac.update(data: body)
        return mac.finalize().map { String(format: "%02x", $0) }.joined()
    }

    // MARK: HTTP

    /// One for every request body; sorted keys, so the same event always signs as the same bytes.
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    func post(_ url: String, json: some Encodable, headers: [String: String] = [:]) async throws -> (Int, [UInt8]) {
        try await post(url, raw: Array(try Self.encoder.encode(json)), headers: headers)
    }

    func post(_ url: String, raw: [UInt8], headers: [String: String]) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: raw))
        return try await run(request)
    }

    func get(_ url: String) async throws -> (Int, [UInt8]) {
        try await run(HTTPClientRequest(url: url))
    }

    func run(_ request: HTTPClientRequest) async throws -> (Int, [UInt8]) {
        let seconds = settings.timeout.components.seconds
        let response = try await http.execute(request, timeout: .seconds(seconds))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) -> T? {
        try? JSONDecoder().decode(type, from: Data(body))
    }

    static func query(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

// The receivers' own field names, spelled as they spell them.
struct WeComText: Encodable {
    struct Content: Encodable { var content: String }
    var msgtype: String, text: Content
}

struct WeComAppMessage: Encodable {
    var touser: String, msgtype: String, agentid: Int, text: WeComText.Content
    var enable_duplicate_check: Int, duplicate_check_interval: Int
}

struct WeComAnswer: Decodable {
    var errcode: Int?, errmsg: String?, msgid: String?, access_token: String?
}

struct SMSRequest: Encodable {
    var PhoneNumbers: String, SignName: String, TemplateCode: String, TemplateParam: String, OutId: String
}

struct SMSAnswer: Decodable {
    var Code: String?, BizId: String?
}

/// The webhook's body: the event's ids and kind, no names. Absent ids are left out, not null.
struct WebhookEvent: Encodable {
    var createdAt: String, districtId: Int64?, event: String, id: String, kind: String, residentId: Int64?, urgent: Bool
}

/// The words of messages that leave the service by a channel that may not name a resident.
public enum NotificationText {
    static func headline(_ kind: String) -> String {
        switch kind {
        case "urgent_reading": "有一条紧急预警"
        case "flag_raised": "有新的风险标记待确认"
        case "flag_confirmed": "风险标记已确认"
        case "referral_sent": "有紧急转诊单待接收"
        case "referral_declined": "有转诊单被退回"
        case "referral_discharged_down": "有患者出院下转"
        case "board_request": "共享药箱有新的求助"
        case "claim_reserved", "claim_delivered": "共享药箱求助有进展"
        case "session_cancelled", "session_moved": "门诊安排有变更"
        default: "有新的消息"
        }
    }

    /// `text` with every run that could be an identity number (17 digits and a digit or X) masked: the
    /// messages are written without them, and this holds even if a free-text reason carried one.
    public static func withoutIdentityNumbers(_ text: String) -> String {
        text.replacing(/\d{6}(\d{8})\d{3}[\dXx]/) { m in
            String(m.output.0.prefix(3)) + String(repeating: "*", count: 11) + String(m.output.0.suffix(4))
        }
    }
}
