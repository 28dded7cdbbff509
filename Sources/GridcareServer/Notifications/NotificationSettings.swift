import Configuration
import Foundation
import GridcareCore
import GridcareStore

/// `notifications.*`: where messages go and how hard the service tries. A channel is on when its address
/// is configured; the inbox is always on.
public struct NotificationSettings: Sendable {
    /// `notifications.enabled`: run the delivery worker in this copy (default true).
    public var enabled = true
    /// `notifications.quietHours`, "22:00-07:00" in China time: messages that are not urgent wait until
    /// it ends ("" for none).
    public var quietHours: QuietHours? = QuietHours(defaultQuietHours)
    /// `notifications.giveUpAfterMinutes`: a delivery still failing this long after its event goes to the
    /// dead letters (default 1440).
    public var giveUpAfter: Duration = .seconds(24 * 3600)
    /// `notifications.retryBaseSeconds` and `retryMaxSeconds`: the first retry's delay, doubled each time
    /// up to the cap, each with jitter (defaults 2 and 600).
    public var retryBase: Duration = .seconds(2)
    public var retryMax: Duration = .seconds(600)
    /// `notifications.pollMilliseconds`: how often the worker looks for new work (default 200).
    public var poll: Duration = .milliseconds(200)
    /// `notifications.timeoutSeconds`: the longest one request to a receiver may take (default 10).
    public var timeout: Duration = .seconds(10)
    /// `notifications.concurrency`: attempts under way at once in this copy (default 16).
    public var concurrency = 16
    /// `notifications.wecom.robotUrl`: a group robot's webhook address (with its key).
    public var robotURL: String?
    /// `notifications.wecom.apiBase`, `corpId`, `corpSecret`, `agentId`: application messages.
    public var wecomBase: String?
    public var corpId = "", corpSecret = "", agentId = 0
    /// `notifications.sms.url`, `accessKey`, `signName`, `templateCode`: the SMS gateway.
    public var smsURL: String?
    public var smsKey = "", smsSign = "网格医护", smsTemplate = "SMS_GRIDCARE_NOTICE"
    /// `notifications.webhook.url` and `secret`: the regional platform's signed webhook.
    public var webhookURL: String?
    public var webhookSecret = ""

    public init() {}

    /// The settings as configured; every default is the property's own.
    init(reader: ConfigReader) {
        let d = NotificationSettings()
        func seconds(_ v: Duration) -> Int { Int(v.inSeconds) }
        enabled = reader.bool(forKey: "notifications.enabled", default: d.enabled)
        quietHours = QuietHours(reader.string(forKey: "notifications.quietHours", default: Self.defaultQuietHours))
        giveUpAfter = .seconds(60 * max(1, reader.int(forKey: "notifications.giveUpAfterMinutes", default: seconds(d.giveUpAfter) / 60)))
        retryBase = .seconds(max(1, reader.int(forKey: "notifications.retryBaseSeconds", default: seconds(d.retryBase))))
        retryMax = .seconds(max(1, reader.int(forKey: "notifications.retryMaxSeconds", default: seconds(d.retryMax))))
        poll = .milliseconds(max(20, reader.int(forKey: "notifications.pollMilliseconds", default: Int(d.poll.inMilliseconds))))
        timeout = .seconds(max(1, reader.int(forKey: "notifications.timeoutSeconds", default: seconds(d.timeout))))
        concurrency = max(1, reader.int(forKey: "notifications.concurrency", default: d.concurrency))
        robotURL = Self.address(reader, "notifications.wecom.robotUrl")
        wecomBase = Self.address(reader, "notifications.wecom.apiBase")
        corpId = reader.string(forKey: "notifications.wecom.corpId", default: d.corpId)
        corpSecret = reader.string(forKey: "notifications.wecom.corpSecret", default: d.corpSecret)
        agentId = reader.int(forKey: "notifications.wecom.agentId", default: d.agentId)
        smsURL = Self.address(reader, "notifications.sms.url")
        smsKey = reader.string(forKey: "notifications.sms.accessKey", default: d.smsKey)
        smsSign = reader.string(forKey: "notifications.sms.signName", default: d.smsSign)
        smsTemplate = reader.string(forKey: "notifications.sms.templateCode", default: d.smsTemplate)
        webhookURL = Self.address(reader, "notifications.webhook.url")
        webhookSecret = reader.string(forKey: "notifications.webhook.secret", default: d.webhookSecret)
    }

    static let defaultQuietHours = "22:00-07:00"

    static func address(_ reader: ConfigReader, _ key: String) -> String? {
        reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init))).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The channels this deployment has an address for.
    public var channels: [NotificationChannel] {
        var on: [NotificationChannel] = []
        if robotURL != nil { on.append(.wecomRobot) }
        if wecomBase != nil { on.append(.wecomApp) }
        if smsURL != nil { on.append(.sms) }
        if webhookURL != nil { on.append(.webhook) }
        return on
    }

    /// The wait before attempt `attempts + 1`: doubling from the base up to the cap, then between half and
    /// all of it at random, so receivers coming back are not met by every retry at once.
    func backoff(afterAttempt attempts: Int) -> Duration {
        let base = retryBase.inSeconds
        let cap = retryMax.inSeconds
        let full = min(cap, base * pow(2, Double(max(0, attempts - 1))))
        return .milliseconds(Int64(full * 1000 * Double.random(in: 0.5...1)))
    }
}

/// A daily window in China time ("22:00-07:00", across midnight when the end is earlier).
public struct QuietHours: Sendable, Equatable {
    public var startMinute: Int, endMinute: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let s = ClinicStore.parseTime(parts[0]), let e = ClinicStore.parseTime(parts[1]), s != e else { return nil }
        startMinute = s
        endMinute = e
    }

    static var china: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        return c
    }

    /// When the window holding `date` ends, or nil when `date` is outside it.
    public func end(around date: Date) -> Date? {
        let calendar = Self.china
        let c = calendar.dateComponents([.hour, .minute], from: date)
        let minute = c.hour! * 60 + c.minute!
        let inside = startMinute < endMinute ? (minute >= startMinute && minute < endMinute) : (minute >= startMinute || minute < endMinute)
        guard inside else { return nil }
        let midnight = calendar.startOfDay(for: date)
        var end = midnight.addingTimeInterval(Double(endMinute * 60))
        if end <= date { end = end.addingTimeInterval(86_400) }
        return end
    }
}
