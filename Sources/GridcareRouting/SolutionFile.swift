import Foundation

/// VRPLIB `.sol` files: `Route #k: c1 c2 ...` lines (client ids, depot = 0 implicit), then `Cost X`
/// (or `Cost: X`). Client id `i` is node `i` of `Instance` (VRPLIB node `i + 1`).
public enum SolutionFile {
    public struct Contents: Sendable, Equatable {
        public var routes: [[Int]]
        /// The cost exactly as printed in the file (unit depends on the file's producer).
        public var cost: Double?
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public static func read(path: String) throws -> Contents {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ParseError(line: 0, message: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text)
    }

    public static func parse(_ text: String) throws -> Contents {
        var routes: [[Int]] = []
        var cost: Double? = nil
        for (idx, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            if line.lowercased().hasPrefix("route") {
                guard let colon = line.firstIndex(of: ":") else {
                    throw ParseError(line: idx + 1, message: "route line without ':'")
                }
                var r: [Int] = []
                for t in line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    guard let v = Int(t) else { throw ParseError(line: idx + 1, message: "bad client id '\(t)'") }
                    r.append(v)
                }
                routes.append(r)
            } else if line.lowercased().hasPrefix("cost") {
                let rest = line.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: ": \t"))
                guard let v = Double(rest) else { throw ParseError(line: idx + 1, message: "bad cost '\(rest)'") }
                cost = v
            }
            // other lines (e.g. "Time", comments) are ignored
        }
        return Contents(routes: routes, cost: cost)
    }

    /// Writes routes and the cost in the instance's unit (`Cost 42444.8` for scale 10).
    public static func format(routes: [[Int]], cost: Int, instance: Instance) -> String {
        var out = ""
        var k = 0
        for r in routes where !r.isEmpty {
            k += 1
            out += "Route #\(k): " + r.map(String.init).joined(separator: " ") + "\n"
        }
        out += "Cost \(instance.formatCost(cost))\n"
        return out
    }

    public static func write(routes: [[Int]], cost: Int, instance: Instance, path: String) throws {
        try format(routes: routes, cost: cost, instance: instance).write(toFile: path, atomically: true, encoding: .utf8)
    }
}
