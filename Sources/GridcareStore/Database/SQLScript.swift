import GridcareCore

/// Splits a migration file into single statements, because the extended protocol takes one at a time.
/// Understands '…' strings, "…" identifiers, $tag$ … $tag$ bodies, -- line and /* block */ comments.
enum SQLScript {
    static func statements(_ sql: String) -> [String] {
        let s = Array(sql.unicodeScalars)
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func flush() {
            let text = String(current).trimmed
            if !text.isEmpty { out.append(text) }
            current = String.UnicodeScalarView()
        }
        while i < s.count {
            let c = s[i]
            let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
            if c == "-" && next == "-" {
                while i < s.count && s[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                var depth = 0
                repeat {
                    if s[i] == "/" && i + 1 < s.count && s[i + 1] == "*" {
                        depth += 1
                        i += 2
                        continue
                    }
                    if s[i] == "*" && i + 1 < s.count && s[i + 1] == "/" {
                        depth -= 1
                        i += 2
                        continue
                    }
                    i += 1
                } while i < s.count && depth > 0
                current.append(" ")
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c)
                i += 1
                while i < s.count {
                    current.append(s[i])
                    if s[i] == c {
                        if i + 1 < s.count && s[i + 1] == c {
                            current.append(s[i + 1])
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    i += 1
                }
                continue
            }
            if c == "$", let end = dollarTagEnd(s, from: i) {
                let tag = Array(s[i...end])
                var j = end + 1
                while j < s.count {
                    if s[j] == "$", j + tag.count <= s.count, Array(s[j..<(j + tag.count)]) == tag {
                        j += tag.count
                        break
                    }
                    j += 1
                }
                current.append(contentsOf: s[i..<min(j, s.count)])
                i = j
                continue
            }
            if c == ";" {
                flush()
                i += 1
                continue
            }
            current.append(c)
            i += 1
        }
        flush()
        return out
    }

    /// The index of the closing `$` of a dollar-quote tag starting at `start`, if it is one.
    private static func dollarTagEnd(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        var j = start + 1
        while j < s.count {
            if s[j] == "$" { return j }
            guard s[j].properties.isAlphabetic || s[j] == "_" || (j > start + 1 && ("0"..."9").contains(s[j])) else { return nil }
            j += 1
        }
        return nil
    }
}
