import Configuration
import Foundation
import GridcareCore
import GridcareRouting
import GridcareStore

/// Every setting the service reads: Config/gridcare.yaml, overridden by GRIDCARE_* environment variables,
/// overridden by CLI options. Keys are listed in the README.
public struct AppConfig: Sendable {
    public var host: String
    public var port: Int
    /// `database.url`; nil means "run the embedded cluster".
    public var databaseURL: String?
    public var embeddedDataDirectory: String
    public var embeddedBinDirectory: String?
    public var migrationsDirectory: String?
    public var poolSize: Int
    public var requestDeadline: Duration
    /// `database.statementTimeoutMs`: the longest a service statement may run (default: the request deadline);
    /// a statement cancelled by it answers 503.
    public var statementTimeout: Duration
    /// `http.headerTimeoutSeconds`: how long a connection may take to send a request head, or sit idle.
    public var headerTimeout: Duration
    /// `security.callerCacheSeconds`: how long the service keeps a token's caller (0: check every token
    /// in the database). Kept callers are dropped at once on any change to them (CallerCache).
    public var callerCacheSeconds: Int
    public var maxBodyBytes: Int
    public var coverage: CoverageRules
    /// `rules.visits.*` and `rules.readings.*`: what makes visits due and readings alarming.
    public var visitRules: VisitRules
    /// `rules.clinics.holidaysDirectory`: one holiday calendar file per year.
    public var holidaysDirectory: String
    /// `rules.clinics.onHoliday`: `next_workday` (default) or `cancel`.
    public var onHoliday: HolidayRule
    /// `rules.clinics.generateWeeksAhead`: how many weeks of sessions, from today, the service's clock keeps
    /// made for every clinic, and the default span of `generateClinicSessions` and `gridcare clinics generate`
    /// (default 8, 1–104).
    public var clinicWeeksAhead: Int
    /// `rules.clinics.generateJobMinutes`: how often the service's clock makes them (default 60; 0 runs no
    /// clock in this copy, for a deployment that generates from the CLI or from another copy).
    public var clinicJobMinutes: Int
    /// `rules.referrals.*`: acknowledgement windows by urgency and the follow-up window after discharge.
    public var referralRules: ReferralRules
    /// `rules.board.*`: the medicine-box board's hold time, claim cap, expiry marking and job interval.
    public var boardRules: BoardRules
    /// `rules.rounds.*`: working day, lunch break, shortest free block, minutes per visit kind, travel speed, solver time.
    public var roundsRules: RoundsRules
    /// `rules.mobilisation.*`: the 3-hour rule's minutes per household of each kind, walking speed and limit.
    public var mobilisationRules: MobilisationRules
    /// `rules.heavyWork.maxConcurrent`: rounds solves and mobilisation checks running at once, both kinds
    /// together; one more answers 429 at once (default: the cores less one for serving requests, at least 1).
    public var maxConcurrentHeavyWork: Int
    /// `rules.heavyWork.retryAfterSeconds`: the `Retry-After` of that 429.
    public var heavyWorkRetryAfterSeconds: Int
    public var logLevel: String
    /// `database.serviceRole`: the login role the service connects as (row-level security applies to it),
    /// with a password derived from the owner's and set at migration; `database.serviceUrl` replaces both.
    public var serviceRole: String
    /// `database.serviceUrl`: the service's own login URL, for a deployment that manages that role itself.
    public var serviceURL: String?
    /// `auth.tokenTtlMinutes`: how long a token from sign-in lives.
    public var tokenLifetime: Duration
    /// `auth.bcryptCost`: the work factor of new password hashes (12 ≈ 0.25 s here).
    public var bcryptCost: Int
    /// `security.identityKey`: the base64 master key that seals identity numbers (prefer the key file).
    public var identityKey: String?
    /// `security.identityKeyFile`: a file holding that key. Without either, the embedded cluster keeps its own
    /// key beside (never inside) its data folder; an external database refuses to start.
    public var identityKeyFile: String?
    /// `auth.bcryptConcurrency`: password checks run at once (default: the number of cores); a sign-in
    /// finding every one taken answers 429 at once.
    public var bcryptConcurrency: Int
    /// `auth.signInPerAddressPerMinute`: sign-ins one source address may try a minute (0: no limit).
    public var signInPerAddressPerMinute: Int
    /// `auth.signInPerUserPerMinute`: sign-ins one username may be tried with a minute (0: no limit).
    public var signInPerUserPerMinute: Int
    /// `console.secureCookies`: mark the console's cookies Secure, for a service behind TLS (a browser then
    /// sends them over https only). Off for the loopback demo, which is plain http.
    public var consoleSecureCookies: Bool
    /// `console.publicUrl`: the address residents' printed codes open (`https://gridcare.example.cn`);
    /// unset, the address the sheet was printed from.
    public var consolePublicURL: String?
    /// `rules.referrals.lateCheckMinutes`: how often the service tells centres of late slips (default 5; 0: never).
    public var referralLateCheckMinutes: Int
    /// `rules.indicators.refreshMinutes`: how often the dashboard's named periods are counted again (0: never;
    /// every dashboard is then counted when it is opened).
    public var indicatorRefreshMinutes: Int
    /// `rules.indicators.liveCountSeconds`: how long counting a period that is not rolled up may take
    /// (default 60), past the request deadline: a custom period over a whole large district needs it.
    public var indicatorLiveCountSeconds: Int
    /// `rules.indicators.maxConcurrentLiveCounts`: dashboard periods counted from the records at once (a
    /// custom period; a named one the clock has not rolled up); one more answers 429 at once (default: the
    /// cores less one, at least 1). Apart from the solves' places: a count's CPU is the database's.
    public var maxConcurrentLiveCounts: Int
    /// `notifications.*`: the delivery worker, its channels, retries and quiet hours.
    public var notifications: NotificationSettings
    /// `metrics.loopback`: whether `/metrics` answers loopback without a token (default true; turn it off
    /// behind a proxy on the same host, where every request comes from loopback).
    public var metricsFromLoopback: Bool
    /// `database.embedded.walArchive`: whether the embedded cluster archives its WAL for `gridcare backup`
    /// and `gridcare restore` (default true; benchmarks and throwaway clusters turn it off).
    public var embeddedArchivesWAL: Bool
    /// `database.replicaUrl`: a streaming replica (the owner's URL on it, as `database.url` is on the primary)
    /// that reports, dashboards, exports and the mobilisation check read from while it keeps up.
    public var replicaURL: String?
    /// `database.replicaMaxLagSeconds`: how far behind the replica may be and still serve them (default 30).
    public var replicaMaxLagSeconds: Int
    /// `audit.*`: the trail's months, their retention and archive.
    public var audit: AuditSettings

    public init(reader: ConfigReader) {
        host = reader.string(forKey: "http.host", default: "127.0.0.1")
        port = reader.int(forKey: "http.port", default: 8080)
        databaseURL = reader.string(forKey: "database.url").flatMap { $0.isEmpty ? nil : $0 }
        embeddedDataDirectory = reader.string(forKey: "database.embedded.dataDirectory", default: ".gridcare/pg")
        embeddedBinDirectory = reader.string(forKey: "database.embedded.binDirectory")
        migrationsDirectory = reader.string(forKey: "database.migrations")
        poolSize = reader.int(forKey: "database.poolSize", default: 16)
        requestDeadline = .milliseconds(reader.int(forKey: "http.requestDeadlineMs", default: 5_000))
        maxBodyBytes = reader.int(forKey: "http.maxBodyBytes", default: 1 << 20)
        statementTimeout = .milliseconds(
            reader.int(forKey: "database.statementTimeoutMs", default: reader.int(forKey: "http.requestDeadlineMs", default: 5_000))
        )
        headerTimeout = .seconds(max(1, reader.int(forKey: "http.headerTimeoutSeconds", default: 10)))
        callerCacheSeconds = max(0, reader.int(forKey: "security.callerCacheSeconds", default: 30))
        metricsFromLoopback = reader.bool(forKey: "metrics.loopback", default: true)
        embeddedArchivesWAL = reader.bool(forKey: "database.embedded.walArchive", default: true)
        replicaURL = reader.string(forKey: "database.replicaUrl").flatMap { $0.isEmpty ? nil : $0 }
        replicaMaxLagSeconds = max(1, reader.int(forKey: "database.replicaMaxLagSeconds", default: 30))
        audit = AuditSettings(
            jobMinutes: max(0, reader.int(forKey: "audit.jobMinutes", default: 60)),
            monthsAhead: min(24, max(1, reader.int(forKey: "audit.monthsAhead", default: 3))),
            retentionMonths: max(6, reader.int(forKey: "audit.retentionMonths", default: 6)),
            archiveDirectory: reader.string(forKey: "audit.archiveDirectory", default: ".gridcare/audit-archive")
        )
        let low = reader.int(forKey: "rules.microGrid.minHouseholds", default: 30)
        let high = reader.int(forKey: "rules.microGrid.maxHouseholds", default: 100)
        coverage = CoverageRules(householdsPerMicroGrid: low...max(low, high))
        visitRules = Self.visitRules(reader)
        holidaysDirectory = reader.string(forKey: "rules.clinics.holidaysDirectory", default: "Config/holidays")
        onHoliday = HolidayRule(rawValue: reader.string(forKey: "rules.clinics.onHoliday", default: "next_workday")) ?? .nextWorkday
        clinicWeeksAhead = min(104, max(1, reader.int(forKey: "rules.clinics.generateWeeksAhead", default: 8)))
        clinicJobMinutes = max(0, reader.int(forKey: "rules.clinics.generateJobMinutes", default: 60))
        referralRules = Self.referralRules(reader)
        var board = BoardRules()
        board.holdHours = max(1, reader.int(forKey: "rules.board.holdHours", default: board.holdHours))
        board.maxOpenClaimsPerWorker = max(1, reader.int(forKey: "rules.board.maxOpenClaimsPerWorker", default: board.maxOpenClaimsPerWorker))
        board.expiringWithinDays = max(0, reader.int(forKey: "rules.board.expiringWithinDays", default: board.expiringWithinDays))
        board.expiryJobMinutes = max(1, reader.int(forKey: "rules.board.expiryJobMinutes", default: board.expiryJobMinutes))
        boardRules = board
        var rounds = RoundsRules()
        let dayStart = reader.string(forKey: "rules.rounds.dayStarts", default: "08:00")
        let dayEnd = reader.string(forKey: "rules.rounds.dayEnds", default: "17:30")
        if let start = ClinicStore.parseTime(dayStart), let end = ClinicStore.parseTime(dayEnd), start < end {
            rounds.dayStartMinute = start
            rounds.dayEndMinute = end
        }
        // The lunch break (no visits; equal times: none) and the shortest free block worth a route.
        let lunchStart = reader.string(forKey: "rules.rounds.lunchStarts", default: "12:00")
        let lunchEnd = reader.string(forKey: "rules.rounds.lunchEnds", default: "13:30")
        if let start = ClinicStore.parseTime(lunchStart), let end = ClinicStore.parseTime(lunchEnd), start <= end {
            rounds.lunchStartMinute = start
            rounds.lunchEndMinute = end
        }
        rounds.minimumBlockMinutes = max(10, reader.int(forKey: "rules.rounds.minimumBlockMinutes", default: rounds.minimumBlockMinutes))
        for kind in VisitKind.allCases {
            let key = ConfigKey(["rules", "rounds", "visitMinutes", kind.rawValue])
            rounds.visitMinutes[kind] = max(5, reader.int(forKey: key, default: rounds.minutes(kind)))
        }
        rounds.speedKmh = max(1, reader.double(forKey: "rules.rounds.speedKmh", default: rounds.speedKmh))
        rounds.solverSeconds = max(0.05, reader.double(forKey: "rules.rounds.solverSeconds", default: rounds.solverSeconds))
        roundsRules = rounds
        mobilisationRules = MobilisationRules(
            noticeMinutes: max(0, reader.double(forKey: "rules.mobilisation.noticeMinutes", default: 3)),
            doorToDoorMinutes: max(0, reader.double(forKey: "rules.mobilisation.doorToDoorMinutes", default: 8)),
            walkingKmPerHour: max(0.5, reader.double(forKey: "rules.mobilisation.walkingKmh", default: 4)),
            limitMinutes: max(1, reader.double(forKey: "rules.mobilisation.limitMinutes", default: 180))
        )
        maxConcurrentHeavyWork = max(
            1,
            reader.int(
                forKey: "rules.heavyWork.maxConcurrent",
                default: max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
            )
        )
        heavyWorkRetryAfterSeconds = max(1, reader.int(forKey: "rules.heavyWork.retryAfterSeconds", default: 5))
        logLevel = reader.string(forKey: "log.level", default: "info")
        serviceRole = reader.string(forKey: "database.serviceRole", default: "gridcare_service")
        serviceURL = reader.string(forKey: "database.serviceUrl", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        tokenLifetime = .seconds(60 * max(1, reader.int(forKey: "auth.tokenTtlMinutes", default: 720)))
        bcryptCost = reader.int(forKey: "auth.bcryptCost", default: 12)
        identityKey = reader.string(forKey: "security.identityKey", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        identityKeyFile = reader.string(forKey: "security.identityKeyFile").flatMap { $0.isEmpty ? nil : $0 }
        bcryptConcurrency = max(1, reader.int(forKey: "auth.bcryptConcurrency", default: ProcessInfo.processInfo.activeProcessorCount))
        signInPerAddressPerMinute = max(0, reader.int(forKey: "auth.signInPerAddressPerMinute", default: 30))
        signInPerUserPerMinute = max(0, reader.int(forKey: "auth.signInPerUserPerMinute", default: 10))
        consoleSecureCookies = reader.bool(forKey: "console.secureCookies", default: false)
        consolePublicURL = reader.string(forKey: "console.publicUrl").flatMap { $0.isEmpty ? nil : ($0.hasSuffix("/") ? String($0.dropLast()) : $0) }
        notifications = NotificationSettings(reader: reader)
        referralLateCheckMinutes = max(0, reader.int(forKey: "rules.referrals.lateCheckMinutes", default: 5))
        indicatorRefreshMinutes = max(0, reader.int(forKey: "rules.indicators.refreshMinutes", default: 15))
        indicatorLiveCountSeconds = max(1, reader.int(forKey: "rules.indicators.liveCountSeconds", default: 60))
        maxConcurrentLiveCounts = max(
            1,
            reader.int(forKey: "rules.indicators.maxConcurrentLiveCounts", default: max(1, ProcessInfo.processInfo.activeProcessorCount - 1))
        )
    }

    /// The URL the service's pool signs in with (see `serviceRole`).
    public func serviceDatabaseURL(owner: DatabaseURL) throws -> DatabaseURL {
        if let serviceURL { return try DatabaseURL(parsing: serviceURL) }
        guard !serviceRole.isEmpty else { throw ServiceLoginError("database.serviceRole must name the service's login role") }
        return ServiceLogin.url(owner: owner, role: serviceRole)
    }

    /// The vault of the configured identity key (see `identityKey`).
    public func identityVault() throws -> IdentityVault {
        if let identityKey { return try IdentityVault(base64: identityKey) }
        if let identityKeyFile { return try IdentityVault.load(file: identityKeyFile, create: false) }
        guard databaseURL == nil else {
            throw IdentityKeyError(
                "an external database needs security.identityKeyFile (or GRIDCARE_SECURITY_IDENTITY_KEY): the key that seals identity numbers"
            )
        }
        return try IdentityVault.load(file: embeddedDataDirectory + ".identity-key", create: true)
    }

    /// Reads the YAML file (when present) under the environment, with `overrides` (CLI options) on top.
    public static func load(file: String = "Config/gridcare.yaml", overrides: [String: ConfigValue] = [:]) async throws -> AppConfig {
        AppConfig(reader: try await reader(file: file, overrides: overrides))
    }

    public static func reader(file: String = "Config/gridcare.yaml", overrides: [String: ConfigValue] = [:]) async throws -> ConfigReader {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                values: Dictionary(
                    uniqueKeysWithValues: overrides.map { (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), $0.value) }
                )
            ),
            EnvironmentVariablesProvider().prefixKeys(with: ConfigKey(["gridcare"])),
        ]
        providers.append(try await FileProvider<YAMLSnapshot>(filePath: .init(file), allowMissing: true))
        return ConfigReader(providers: providers)
    }

    static func referralRules(_ reader: ConfigReader) -> ReferralRules {
        var r = ReferralRules()
        for urgency in ReferralUrgency.allCases {
            let name = urgency == .greenChannel ? "greenChannel" : urgency.rawValue
            r.acknowledgeWithinHours[urgency] = max(
                1,
                reader.int(
                    forKey: ConfigKey(["rules", "referrals", "acknowledgeWithinHours", name]),
                    default: r.acknowledgeWithinHours[urgency] ?? 24
                )
            )
        }
        r.followUpWithinDays = max(1, reader.int(forKey: "rules.referrals.followUpWithinDays", default: r.followUpWithinDays))
        return r
    }

    static func visitRules(_ reader: ConfigReader) -> VisitRules {
        var r = VisitRules()
        r.chronicFollowUpsPerYear = max(1, reader.int(forKey: "rules.visits.chronicFollowUpsPerYear", default: r.chronicFollowUpsPerYear))
        r.annualCheckAge = reader.int(forKey: "rules.visits.annualCheckAge", default: r.annualCheckAge)
        r.annualCheckIntervalDays = max(1, reader.int(forKey: "rules.visits.annualCheckIntervalDays", default: r.annualCheckIntervalDays))
        r.disabledElderlyHomeVisitsPerYear = max(
            1,
            reader.int(
                forKey: "rules.visits.disabledElderlyHomeVisitsPerYear",
                default: r.disabledElderlyHomeVisitsPerYear
            )
        )
        for tier in Tier.allCases {
            r.welfareDays[tier] = max(
                1,
                reader.int(forKey: ConfigKey(["rules", "visits", "welfareDays", tier.rawValue]), default: r.welfareDays[tier]!)
            )
        }
        r.followUpWithinDays = max(1, reader.int(forKey: "rules.visits.followUpWithinDays", default: r.followUpWithinDays))
        r.urgentSystolic = reader.int(forKey: "rules.readings.urgentSystolic", default: r.urgentSystolic)
        r.urgentDiastolic = reader.int(forKey: "rules.readings.urgentDiastolic", default: r.urgentDiastolic)
        r.urgentGlucoseHigh = reader.double(forKey: "rules.readings.urgentGlucoseHigh", default: r.urgentGlucoseHigh)
        r.urgentGlucoseLow = reader.double(forKey: "rules.readings.urgentGlucoseLow", default: r.urgentGlucoseLow)
        r.uncontrolledSystolic = reader.int(forKey: "rules.readings.uncontrolledSystolic", default: r.uncontrolledSystolic)
        r.uncontrolledDiastolic = reader.int(forKey: "rules.readings.uncontrolledDiastolic", default: r.uncontrolledDiastolic)
        r.uncontrolledFastingGlucose = reader.double(forKey: "rules.readings.uncontrolledFastingGlucose", default: r.uncontrolledFastingGlucose)
        return r
    }
}

extension AppConfig {
    /// The rounds store of this configuration (rules and the holiday calendar), for the API and the console;
    /// `solverSeconds` overrides the configured solver time for one plan.
    func roundsStore(_ db: Database, solverSeconds: Double? = nil) throws -> RoundsStore {
        var rules = roundsRules
        if let solverSeconds { rules.solverSeconds = solverSeconds }
        return RoundsStore(db, rules: rules, calendar: try HolidayCalendar.load(directory: holidaysDirectory))
    }
}
