import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// Prints one resident's case sheet for a person to read.
struct CaseSheetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "case-sheet", abstract: "Print a resident's case sheet (健康服务信息个案表).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Resident id.") var resident: Int64

    func run() async throws {
        let config = try await global.load()
        let sheet = try await global.withStore(config, operation: "cli case-sheet") { db, info in
            try await CaseSheetStore(db, rules: config.visitRules)
                .caseSheet(resident, logger: info.logger)
        }
        let r = sheet.resident
        let time = DateFormatter()
        time.dateFormat = "yyyy-MM-dd HH:mm"
        time.timeZone = TimeZone(identifier: "Asia/Shanghai")
        print("\(r.name) (resident \(r.id)), \(r.sex.rawValue), born \(r.birthYear), ID \(r.idNumberMasked)")
        print("household \(r.householdId), micro-grid \(r.microGridId)\(r.teamId.map { ", team \($0)" } ?? ", no team")")
        if !r.conditions.isEmpty { print("conditions: \(r.conditions.map(\.rawValue).joined(separator: ", "))") }
        func section(_ title: String, _ header: [String], _ rows: [[String]]) {
            print("\n\(title)")
            print(rows.isEmpty ? "  (none)" : TablePrinter(header: header, rows: rows).render(.table))
        }
        section(
            "Alerts",
            ["id", "status", "opened", "reason"],
            sheet.alerts.map {
                [
                    String($0.id), $0.status.rawValue, time.string(from: $0.openedAt),
                    $0.reason + ($0.suggestsGreenChannel ? " — 建议绿色通道转诊" : ""),
                ]
            }
        )
        section(
            "Flags",
            ["id", "status", "category", "tier", "population", "note"],
            sheet.flags.map {
                [String($0.id), $0.status.rawValue, $0.category.rawValue, $0.tier.rawValue, $0.population.rawValue, $0.note ?? ""]
            }
        )
        section("Follow-ups asked for", ["due by", "rule", "reason"], sheet.followUps.map { [$0.dueBy.iso, $0.rule, $0.reason] })
        section(
            "Services",
            ["when", "kind", "counts as", "by", "notes"],
            sheet.services.map {
                [time.string(from: $0.performedAt), $0.kind.rawValue, $0.visit?.rawValue ?? "", $0.performedByName, $0.notes ?? ""]
            }
        )
        func n(_ d: Double?) -> String { d.map { String(format: "%.1f", $0) } ?? "" }
        section(
            "Vitals",
            ["when", "BP mmHg", "FPG", "RPG", "HR", "°C", "SpO2", "kg"],
            sheet.readings.map {
                let v = $0.vitals
                return [
                    time.string(from: $0.measuredAt), v.systolic.map { "\($0)/\(v.diastolic ?? 0)" } ?? "", n(v.glucoseFasting), n(v.glucoseRandom),
                    v.heartRate.map(String.init) ?? "", n(v.temperature), v.spo2.map(String.init) ?? "", n(v.weight),
                ]
            }
        )
    }
}
