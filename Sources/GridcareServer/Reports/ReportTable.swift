import Foundation
import GridcareCore

/// One table of a report, written once and shown three ways: as HTML on the dashboard, as CSV and as an
/// Excel sheet. Cells keep their kind, so a rate is a number in Excel and "85.2%" on the page.
struct ReportTable: Sendable {
    /// One cell: text, a count, a figure with one decimal, a rate, or a rate of too few people to show.
    enum Cell: Sendable, Equatable {
        case text(String), count(Int), figure(Double), rate(Double?), tooFew

        /// How the page and the CSV write it.
        var shown: String {
            switch self {
            case .text(let s): s
            case .count(let n): String(n)
            case .figure(let x): String(format: "%.1f", x)
            case .rate(let r): r.map { String(format: "%.1f%%", $0 * 100) } ?? "—"
            case .tooFew: "少于5人"
            }
        }
    }

    /// A row, with the dashboard link of the area or team it stands for, if any.
    struct Row: Sendable {
        var cells: [Cell]
        var link: String?
    }

    /// The name in download addresses (`areas`, `teams`…) and the title above the table.
    var key: String, title: String
    var columns: [String]
    var rows: [Row]
    /// A line under the table saying how its figures are read.
    var note: String?

    /// The same table as CSV: UTF-8 with a byte-order mark (Excel then reads the Chinese right), CRLF
    /// lines, and a cell that a spreadsheet would take for a formula written as text.
    var csv: String {
        var out = "\u{FEFF}"
        func line(_ cells: [String]) { out += cells.map(Self.csvField).joined(separator: ",") + "\r\n" }
        line(columns)
        for row in rows { line(row.cells.map(\.shown)) }
        return out
    }

    static func csvField(_ s: String) -> String {
        var v = s
        if let first = v.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Double(v) == nil { v = "'" + v }
        guard v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The table as HTML rows for the dashboard (the header is the template's, from `columns`).
    var htmlRows: String {
        var m = Markup(capacity: rows.count * 300)
        for row in rows {
            m.raw("<tr>")
            for (i, cell) in row.cells.enumerated() {
                switch cell {
                case .text(let s):
                    m.raw("<td>")
                    if i == 0, let link = row.link {
                        m.raw("<a href=\"")
                        m.text(link)
                        m.raw("\">")
                        m.text(s)
                        m.raw("</a>")
                    } else {
                        m.text(s)
                    }
                    m.raw("</td>")
                case .tooFew: m.raw("<td class=\"num muted\">少于5人</td>")
                default:
                    m.raw("<td class=\"num\">")
                    m.text(cell.shown)
                    m.raw("</td>")
                }
            }
            m.raw("</tr>")
        }
        return m.html
    }
}
