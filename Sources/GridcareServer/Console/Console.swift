import Foundation
import GridcareCore
import GridcareStore
import Hummingbird
import Logging
import Mustache

/// The web console under /app: server-rendered zh-CN pages for grid workers and clinic staff. It is a
/// second door to the same rooms as the API: every page reads and writes through the same stores, in
/// the caller's scope (row-level security), audited the same way, and each page follows the access rule
/// of the API operation it stands for.
struct Console: Sendable {
    let database: Database
    let config: AppConfig
    let signIn: SignIn
    /// The places for rounds solves, shared with the API: a solve from either door takes one.
    let heavyWork: Admission
    /// The places for the dashboard's live counts, shared with the API.
    let liveCounts: Admission
    /// The indicator clock's last mobilisation check per district, shared with the API.
    let mobilisation: MobilisationRollup
    let templates: MustacheLibrary

    /// Where the templates and the static files are: the target's resources.
    static var resources: URL {
        get throws {
            guard let url = Bundle.module.resourceURL else { throw ConsoleSetupError("the console's resources are missing") }
            return url
        }
    }

    init(
        database: Database,
        config: AppConfig,
        signIn: SignIn,
        heavyWork: Admission,
        liveCounts: Admission,
        mobilisation: MobilisationRollup
    ) throws {
        self.database = database
        self.config = config
        self.signIn = signIn
        self.heavyWork = heavyWork
        self.liveCounts = liveCounts
        self.mobilisation = mobilisation
        templates = try Self.loadTemplates(from: try Self.resources.appendingPathComponent("templates"))
    }

    /// Every `*.mustache` file of `directory`, named by its path without the extension. A template that
    /// does not parse stops the service at start-up, not a user on a page.
    static func loadTemplates(from directory: URL) throws -> MustacheLibrary {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".mustache") }
        guard !files.isEmpty else { throw ConsoleSetupError("no templates in \(directory.path)") }
        var library = MustacheLibrary()
        for file in files.sorted() {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        return library
    }

    /// A page of `template` inside the layout, for `caller` (nil on the sign-in page).
    func render(
        _ template: String,
        title: String,
        caller: ConsoleCaller?,
        status: HTTPResponse.Status = .ok,
        _ values: [String: Any] = [:]
    ) -> Response {
        var context = values
        context["title"] = title
        if let caller {
            context["me"] = ["username": caller.username, "role": Labels.role(caller.role), "csrf": caller.csrf]
            context["nav"] = Navigation.items(for: caller.role)
        }
        let html = templates.render(Self.compact(context), withTemplate: template) ?? "<!DOCTYPE html><title>模板缺失</title><p>页面模板缺失：\(template)</p>"
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }
}

extension Console {
    /// The context with every empty string made `Blank`, at every depth: a template's `{{#note}}…{{/note}}`
    /// then shows only a note that was written (an empty string would open the section). Blank rather than
    /// left out: a missing key is looked for again in every enclosing context, which made rendering a long
    /// list the dearest part of a page.
    static func compact(_ value: Any) -> Any {
        switch value {
        case let dict as [String: Any]:
            var out: [String: Any] = [:]
            out.reserveCapacity(dict.count)
            for (k, v) in dict {
                if let s = v as? String, s.isEmpty {
                    out[k] = Blank()
                } else {
                    out[k] = compact(v)
                }
            }
            return out
        case let list as [[String: Any]]:
            return list.map { compact($0) }
        case let list as [[String: String]]:
            return list.map { compact($0) }
        default:
            return value
        }
    }
}

/// An empty value that renders as nothing and does not open a section.
struct Blank: MustacheCustomRenderable {
    var renderText: String { "" }
    var isNull: Bool { true }
}

/// The console cannot start: its templates or files are missing or broken.
struct ConsoleSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
