import Foundation
import GridcareCore

/// One page of a list and the cursor of the next, nil on the last page.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Keyset pagination by id: the cursor is the last id seen, opaque to clients.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let maximumLimit = 200
    /// Larger limits are served as `maximumLimit`; beyond this one they are refused as nonsense.
    public static let largestAcceptedLimit = 100_000

    public var afterId: Int64
    public var limit: Int

    /// Reads a client's cursor and limit; the limit is capped, not refused, so generic clients keep working.
    public init(cursor: String?, limit: Int?) throws(FieldError) {
        if let limit, limit < 1 || limit > Self.largestAcceptedLimit { throw FieldError("limit", "must be 1–\(Self.largestAcceptedLimit)") }
        self.limit = min(limit ?? Self.defaultLimit, Self.maximumLimit)
        if let cursor {
            guard let data = Data(base64Encoded: Self.padded(cursor)),
                let text = String(data: data, encoding: .utf8), text.hasPrefix("id:"),
                let id = Int64(text.dropFirst(3)), id >= 0
            else { throw FieldError("cursor", "is not a cursor this service issued") }
            afterId = id
        } else {
            afterId = 0
        }
    }

    /// The first `limit` items in one page, past `maximumLimit`: for the service's own callers, who read a
    /// bounded list whole (a console page), not for a client's limit.
    public init(firstOf limit: Int) {
        afterId = 0
        self.limit = limit
    }

    /// Cuts the one-extra row that tells whether another page exists.
    public func page<T>(_ rows: [T], id: (T) -> Int64) -> Page<T> {
        guard rows.count > limit else { return Page(items: rows, nextCursor: nil) }
        let items = Array(rows.prefix(limit))
        return Page(items: items, nextCursor: Self.cursor(after: id(items[items.count - 1])))
    }

    /// How many rows to fetch: one more than the page, to know if there is a next.
    public var fetch: Int { limit + 1 }

    static func cursor(after id: Int64) -> String {
        Data("id:\(id)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    static func padded(_ s: String) -> String {
        s + String(repeating: "=", count: (4 - s.count % 4) % 4)
    }
}

extension AsyncSequence {
    /// Every element, in order (for decoded row sequences, which have no `collect()`).
    public func all() async throws -> [Element] {
        var out: [Element] = []
        for try await e in self { out.append(e) }
        return out
    }
}
