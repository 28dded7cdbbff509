/// HTML written in Swift, for the one row a list repeats hundreds of times and for the printed slip.
/// Pages and forms stay in templates; a long list's rows are written here because swift-mustache spends
/// about 3.5 µs on each `{{key}}` and escapes through a dictionary per character, which made rendering
/// half of a 245-resident page's cost. A template puts the result in with `{{{…}}}`.
struct Markup {
    private(set) var html = ""

    init(capacity: Int = 0) { html.reserveCapacity(capacity) }

    /// Markup of our own, as written.
    mutating func raw(_ s: String) { html += s }

    /// A value from a record or a person, escaped for text and for a quoted attribute alike.
    mutating func text(_ s: String) { Self.escape(s, into: &html) }

    /// `s` escaped for HTML text and quoted attributes.
    static func escape(_ s: String) -> String {
        var out = ""
        escape(s, into: &out)
        return out
    }

    static func escape(_ s: String, into out: inout String) {
        // Most values hold nothing to escape: copy them whole.
        guard s.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else {
            out += s
            return
        }
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
    }
}
