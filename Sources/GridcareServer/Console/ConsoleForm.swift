import Foundation
import Hummingbird

/// A submitted `application/x-www-form-urlencoded` form, or a page's query string.
struct ConsoleForm: Sendable {
    private(set) var values: [String: [String]] = [:]

    init(_ encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let key = decode(parts[0])
            values[key, default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The field's value, trimmed; nil when it is absent or blank.
    subscript(_ name: String) -> String? {
        guard let v = values[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }

    /// Every value of a repeated field (checkboxes).
    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// The field as a whole number, nil when absent; `bad` when it is not one.
    func int(_ name: String) throws(ConsoleFormError) -> Int? {
        guard let raw = self[name] else { return nil }
        guard let v = Int(raw) else { throw ConsoleFormError(field: name) }
        return v
    }

    func double(_ name: String) throws(ConsoleFormError) -> Double? {
        guard let raw = self[name] else { return nil }
        guard let v = Double(raw), v.isFinite else { throw ConsoleFormError(field: name) }
        return v
    }

    /// A form body of at most `limit` bytes.
    static func read(_ request: Request, limit: Int) async throws -> ConsoleForm {
        let buffer = try await request.body.collect(upTo: limit)
        return ConsoleForm(String(buffer: buffer))
    }
}

/// A form field that does not parse (a number field with letters in it): the page answers 400.
struct ConsoleFormError: Error {
    let field: String
}
