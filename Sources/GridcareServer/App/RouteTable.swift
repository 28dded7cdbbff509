import HTTPTypes

/// The paths and methods of openapi.yaml, read from the document itself, so a request for a known path
/// with a method it does not have can answer 405 with `Allow` (the router alone only says 404).
struct RouteTable: Sendable {
    struct Route: Sendable {
        var segments: [Substring]
        var methods: [String]
    }

    var routes: [Route] = []

    /// Reads `paths:` from the YAML text. It relies on the document's own layout (two-space indents),
    /// which the tests pin by checking a few answers.
    init(openAPIYAML text: String) {
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if let first = line.first, !first.isWhitespace { break }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                let path = line.dropFirst(2).dropLast()
                routes.append(Route(segments: path.split(separator: "/"), methods: []))
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), !routes.isEmpty {
                let word = line.dropFirst(4).dropLast()
                if ["get", "put", "post", "patch", "delete"].contains(word) {
                    routes[routes.count - 1].methods.append(word.uppercased())
                }
            }
        }
    }

    /// The methods a path supports, or nil when no documented path matches it.
    func methods(for path: String) -> [String]? {
        let requested = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/") } ?? []
        for route in routes where route.segments.count == requested.count {
            let matches = zip(route.segments, requested).allSatisfy { template, actual in
                template.hasPrefix("{") || template == actual
            }
            if matches { return route.methods }
        }
        return nil
    }
}
