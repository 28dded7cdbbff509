import Foundation

/// A rate per area as horizontal bars, this period over last period's (a thin grey bar), as SVG drawn
/// here. Labels are area names: escaped like any value from a record.
enum BarChart {
    struct Bar {
        var label: String
        var now: Double?
        var before: Double?
    }

    static let width = 640.0, labelWidth = 150.0, rowHeight = 26.0

    static func svg(title: String, _ bars: [Bar]) -> String {
        guard !bars.isEmpty else { return "" }
        let shown = bars.prefix(40)
        let height = Double(shown.count) * rowHeight + 34
        let plot = width - labelWidth - 60
        var m = Markup(capacity: shown.count * 400)
        m.raw("<svg class=\"bars\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"")
        m.text(title)
        m.raw("\">")
        for tick in [0, 25, 50, 75, 100] {
            let x = labelWidth + plot * Double(tick) / 100
            m.raw("<line class=\"grid\" x1=\"\(x)\" y1=\"4\" x2=\"\(x)\" y2=\"\(height - 26)\"/>")
            m.raw("<text class=\"tick\" x=\"\(x)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(tick)%</text>")
        }
        for (i, bar) in shown.enumerated() {
            let top = 6 + Double(i) * rowHeight
            m.raw("<text class=\"label\" x=\"\(labelWidth - 6)\" y=\"\(top + 15)\" text-anchor=\"end\">")
            m.text(String(bar.label.prefix(12)))
            m.raw("</text>")
            if let b = bar.before {
                m.raw("<rect class=\"before\" x=\"\(labelWidth)\" y=\"\(top + 15)\" width=\"\(plot * min(b, 1))\" height=\"5\"/>")
            }
            if let v = bar.now {
                m.raw("<rect class=\"now\" x=\"\(labelWidth)\" y=\"\(top + 2)\" width=\"\(plot * min(v, 1))\" height=\"12\"/>")
                m.raw(
                    "<text class=\"value\" x=\"\(labelWidth + plot * min(v, 1) + 4)\" y=\"\(top + 13)\">\(String(format: "%.1f%%", v * 100))</text>"
                )
            } else {
                m.raw("<text class=\"value\" x=\"\(labelWidth + 4)\" y=\"\(top + 13)\">—</text>")
            }
        }
        m.raw("</svg>")
        return m.html
    }
}
