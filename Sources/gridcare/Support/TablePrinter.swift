import Foundation

/// Prints rows as an aligned table, CSV, or JSON objects keyed by the header.
struct TablePrinter {
    var header: [String]
    var rows: [[String]]

    func render(_ format: OutputFormat) -> String {
        switch format {
        case .table:
            let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(displayWidth).max() ?? 0 }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - displayWidth(c)) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }
            return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line)).joined(separator: "\n")
        case .csv:
            return ([header] + rows).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n")
        case .json:
            let objects = rows.map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
            let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// CJK characters take two terminal columns.
    private func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x1100 && $1.properties.isIdeographic || (0xFF00...0xFFEF).contains($1.value) ? 2 : 1) }
    }

    private func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
