import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore

extension Role: ExpressibleByArgument {}

/// Users who sign in to the API (administrators' tool; runs as the database owner).
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add, list, disable and enable users.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self]
    )

    /// Adds a user; the password is read from standard input, never from the command line.
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (password on standard input, one line).")

        @OptionGroup var global: GlobalOptions
        @Option(help: "Sign-in name: 3–64 lower-case letters, digits, '.', '_' or '-'.") var username: String
        @Option(help: "admin, centre_staff, grid_worker, hospital_staff or district_manager.") var role: Role
        @Option(help: "District (required for district managers; taken from the worker or hospital otherwise).") var district: Int64?
        @Option(help: "The worker a centre-staff or grid-worker user is.") var worker: Int64?
        @Option(help: "The hospital a hospital-staff user works at.") var hospital: Int64?

        func run() async throws {
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                throw CLIError.badInput("password: give it on standard input, e.g. `printf '%s\\n' \"$PW\" | gridcare user add …`")
            }
            let config = try await global.load()
            let user = try await global.withStore(config, operation: "cli user add") { db, info in
                try await UserStore(db).add(
                    .init(username: username, role: role, password: password, districtId: district, workerId: worker, hospitalId: hospital),
                    bcryptCost: config.bcryptCost,
                    logger: info.logger
                )
            }
            print("user \(user.id) \(user.username) (\(user.role.rawValue)\(user.districtId.map { ", district \($0)" } ?? ", every district"))")
        }
    }

    /// Lists users.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table, json or csv.") var format: OutputFormat = .table

        func run() async throws {
            let config = try await global.load()
            let users = try await global.withStore(config) { db, info in
                try await UserStore(db).list(logger: info.logger)
            }
            let rows = users.map { u in
                [
                    String(u.id), u.username, u.role.rawValue, u.districtId.map(String.init) ?? "*", u.workerId.map(String.init) ?? "",
                    u.hospitalId.map(String.init) ?? "", u.active ? "yes" : "no",
                ]
            }
            print(TablePrinter(header: ["id", "username", "role", "district", "worker", "hospital", "active"], rows: rows).render(format))
        }
    }

    /// Disables a user: their tokens stop working at once.
    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user (their tokens stop working at once).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Username.") var username: String
        func run() async throws { try await setActive(global, username, false) }
    }

    /// Enables a disabled user again.
    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Username.") var username: String
        func run() async throws { try await setActive(global, username, true) }
    }
}

private func setActive(_ global: GlobalOptions, _ username: String, _ active: Bool) async throws {
    let config = try await global.load()
    try await global.withStore(config) { db, info in
        let users = UserStore(db)
        guard let user = try await users.find(username: username, logger: info.logger) else {
            throw CLIError.badInput("username: no user \(username)")
        }
        try await users.setActive(user.id, active, logger: info.logger)
    }
    print("\(username) \(active ? "enabled" : "disabled")")
}
