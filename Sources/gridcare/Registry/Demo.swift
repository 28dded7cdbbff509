import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// Generates and loads a realistic, deterministic demo district.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate and load a realistic demo district.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "About how many residents.") var residents: Int = 20_000
    @Option(help: "Seed: the same seed gives the same district.") var seed: UInt64 = 1
    @Flag(help: "Do nothing when a district of this seed is already loaded.") var ifMissing = false
    @Flag(help: "Skip the demo users (admin, manager, doctor, gridworker, hospital).") var noUsers = false
    @Option(
        help:
            "Also write the residents as an import file (for bench/import.sh: the database keeps numbers sealed, this file has the generator's synthetic ones)."
    )
    var residentsCsv: String?

    func validate() throws {
        guard (1...25_000_000).contains(residents) else { throw ValidationError("--residents must be between 1 and 25,000,000") }
    }

    static let defaultPassword = "gridcare-demo"
    static var password: String { ProcessInfo.processInfo.environment["GRIDCARE_DEMO_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultPassword }

    func run() async throws {
        let config = try await global.load()
        let clock = ContinuousClock()
        let started = clock.now
        let demo = DemoDistrict.generate(residents: residents, seed: seed, today: SimpleDate.todayInChina())
        let generated = clock.now - started
        if let residentsCsv { try Self.writeImportFile(demo, to: residentsCsv) }
        do {
            let summary = try await global.withStore(config, operation: "cli demo") { db, info in
                let summary = try await DemoLoader(db).load(demo, logger: info.logger)
                let clinics = try await DemoClinics.seed(
                    districtId: summary.districtId,
                    from: SimpleDate.todayInChina(),
                    weeks: config.clinicWeeksAhead,
                    calendar: try HolidayCalendar.load(directory: config.holidaysDirectory),
                    onHoliday: config.onHoliday,
                    db: db,
                    logger: info.logger
                )
                if clinics > 0 {
                    print("Clinics: a weekly village clinic for each of \(clinics) teams, \(config.clinicWeeksAhead) weeks of sessions.")
                }
                if !noUsers {
                    let created = try await DemoUsers.create(
                        districtId: summary.districtId,
                        password: Self.password,
                        bcryptCost: config.bcryptCost,
                        db: db,
                        logger: info.logger
                    )
                    if !created.isEmpty {
                        print(
                            "Demo users \(created.map(\.username).joined(separator: ", ")), password from GRIDCARE_DEMO_PASSWORD (default \"\(Self.defaultPassword)\")."
                        )
                    }
                    // Care records need a grid worker who raised the flags and a doctor who decided them.
                    if let g = created.first(where: { $0.role == .gridWorker }), let d = created.first(where: { $0.role == .centreStaff }) {
                        let care = try await DemoCare.seed(
                            districtId: summary.districtId,
                            raisedBy: g.id,
                            decidedBy: d.id,
                            today: SimpleDate.todayInChina(),
                            db: db,
                            logger: info.logger
                        )
                        print("Care records: \(care.flags) confirmed flags, \(care.services) past services.")
                    }
                    if let d = created.first(where: { $0.role == .centreStaff }), let h = created.first(where: { $0.role == .hospitalStaff }),
                        let hospitalId = h.hospitalId
                    {
                        let slips = try await DemoReferrals.seed(
                            doctorId: d.id,
                            hospitalUserId: h.id,
                            hospitalId: hospitalId,
                            rules: config.referralRules,
                            db: db,
                            logger: info.logger
                        )
                        print("Referral slips: \(slips) sent to the hospital of user \(h.username), at every stage of the loop.")
                    }
                    if let d = created.first(where: { $0.role == .centreStaff }), let g = created.first(where: { $0.role == .gridWorker }),
                        let custodian = g.workerId
                    {
                        let offers = try await DemoBoard.seed(
                            doctorId: d.id,
                            gridWorkerId: g.id,
                            custodianWorkerId: custodian,
                            rules: config.boardRules,
                            today: SimpleDate.todayInChina(),
                            db: db,
                            logger: info.logger
                        )
                        print("Medicine box: a relay point with \(offers) offers and two requests in \(g.username)'s first micro-grid.")
                    }
                }
                return summary
            }
            let total = clock.now - started
            print(
                "Loaded \(demo.name) (district \(summary.districtId)): \(summary.areas) areas, \(summary.facilities) facilities, "
                    + "\(summary.workers) workers, \(summary.teams) teams, \(summary.households) households, "
                    + "\(summary.residents) residents, \(summary.contracts) contracts."
            )
            print(
                "Generated in \(generated.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))), "
                    + "total \(total.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))."
            )
        } catch let error as DemoError where ifMissing {
            print("\(error); nothing to do.")
        }
    }

    /// The residents in the import format (`gridcare import --residents`), households named by their refs.
    static func writeImportFile(_ demo: DemoDistrict, to path: String) throws {
        var text = "household_ref,name,sex,birth_date,id_number,phone,conditions,circumstances\n"
        text.reserveCapacity(demo.residents.count * 90)
        for r in demo.residents {
            text += "\(demo.households[r.household].ref),\(r.name),\(r.sex.rawValue),\(r.birthDate.iso),\(r.idNumber),\(r.phone ?? ""),"
            text += r.conditions.map(\.rawValue).joined(separator: ";") + "," + r.circumstances.map(\.rawValue).joined(separator: ";") + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError.badInput("cannot write \(path)")
        }
    }
}
