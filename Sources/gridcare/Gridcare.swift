import ArgumentParser
import Foundation
import GridcareCore
import GridcareStore
import PostgresNIO

/// `gridcare`: the Gridcare service and its scheduling tools.
@main
struct Gridcare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gridcare",
        abstract: "Scheduler and record system for family-doctor teams in the micro-grid model.",
        subcommands: [
            Serve.self, Migrate.self, Demo.self, Import.self, Report.self, Clinics.self, Due.self, CaseSheetCommand.self, Users.self, Tokens.self,
            Audit.self, Access.self, Referrals.self, Board.self, Rounds.self, MobilisationCommand.self, Notifications.self, DB.self, Backup.self,
            Restore.self,
        ]
    )

    /// Runs the chosen command; database errors are printed with the server's message, not the driver's
    /// generic text, since the operator at the terminal needs it.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch CLIError.badInput(let message) {
            fail(message)
        } catch let failure as ValidationFailure {
            fail(failure.errors.map(\.description).joined(separator: "; "))
        } catch let field as FieldError {
            fail(field.description)
        } catch StoreError.notFound(let what) {
            fail("no such \(what)")
        } catch let error as PSQLError {
            let info = error.serverInfo
            let message = [info?[.message], info?[.detail], info?[.hint]].compactMap { $0 }.joined(separator: " — ")
            FileHandle.standardError.write(Data("Error: database: \(message.isEmpty ? "\(error.code)" : message)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }

    /// Bad input: the message, and exit code 2 (nothing was changed).
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        Foundation.exit(ExitCodes.badInput.rawValue)
    }
}
