import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

/// Loads households and residents from CSV in one transaction; any bad row and nothing is kept.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import households and residents from CSV (all or nothing).",
        discussion: """
            households.csv columns: ref, micro_grid_id, address, latitude, longitude
            residents.csv columns: name, sex, birth_date, id_number, and household_ref or household_id;
              optional phone, conditions, circumstances (lists separated by ';')
            Every bad row is reported as FILE:LINE: reason, and the exit code is 2.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "District the rows belong to.") var district: Int64
    @Option(help: "Households CSV file.") var households: String?
    @Option(help: "Residents CSV file.") var residents: String?
    @Option(help: "How many bad rows to print at most.") var maxErrors: Int = 200

    func validate() throws {
        guard households != nil || residents != nil else { throw ValidationError("give --households, --residents or both") }
    }

    func run() async throws {
        let config = try await global.load()
        func read(_ path: String?) throws -> (String, [UInt8])? {
            guard let path else { return nil }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            return (path, [UInt8](data))
        }
        let clock = ContinuousClock()
        let started = clock.now
        let today = SimpleDate.todayInChina()
        let (housesFile, peopleFile) = (try read(households), try read(residents))
        // The residents file (the long one) is checked while the households go into the database.
        let people = RegistryImport.residentsInBackground(peopleFile, today: today)
        let houses = housesFile.map { RegistryImport.households($0) } ?? .init()
        do {
            if !houses.errors.isEmpty { throw ImportFailure(items: houses.errors + (await people.value).errors) }
            let summary = try await global.withStore(config) { db, info in
                try await ImportStore(db).load(
                    households: houses.rows,
                    residents: { await people.value },
                    districtId: district,
                    householdsFile: households ?? "",
                    residentsFile: residents ?? "",
                    logger: info.logger
                )
            }
            let seconds = (clock.now - started).inSeconds
            let rows = summary.households + summary.residents
            print(
                "Imported \(summary.households) households and \(summary.residents) residents in \(String(format: "%.1f", seconds)) s (\(Int(Double(rows) / max(seconds, 0.001))) rows/s)."
            )
        } catch let failure as ImportFailure {
            var stderr = StandardError()
            for item in failure.items.prefix(maxErrors) { print(item.description, to: &stderr) }
            if failure.items.count > maxErrors { print("… and \(failure.items.count - maxErrors) more", to: &stderr) }
            print("Nothing was imported: \(failure.items.count) bad row(s).", to: &stderr)
            throw ExitCodes.badInput
        }
    }
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
