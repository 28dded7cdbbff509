import Foundation
import GridcareCore
import GridcareStore

/// Blood pressure and glucose over time, as SVG drawn here: two panels sharing the time axis, the
/// thresholds of the 基本公共卫生服务 targets (140/90 mmHg, 7.0 mmol/L fasting) as dashed lines. Every
/// value written is a number or a fixed label, so the drawing needs no escaping.
enum ReadingChart {
    static let width = 340.0
    static let panel = 110.0
    static let left = 34.0
    static let right = 8.0

    static func svg(_ readings: [VitalReading]) -> String {
        let points = readings.sorted { $0.measuredAt < $1.measuredAt }.suffix(30)
        guard let first = points.first?.measuredAt, let last = points.last?.measuredAt else { return "" }
        let span = max(last.timeIntervalSince(first), 1)
        func x(_ d: Date) -> Double {
            points.count == 1 ? left + (width - left - right) / 2 : left + (width - left - right) * d.timeIntervalSince(first) / span
        }
        var out = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(panel * 2 + 40))\" role=\"img\" aria-label=\"血压与血糖趋势\">"
        // Panel 1: blood pressure, 40–200 mmHg.
        out += axis(top: 4, low: 40, high: 200, ticks: [60, 90, 140, 180], unit: "mmHg", limits: [90, 140])
        out += series(points.compactMap { r in r.vitals.systolic.map { (x(r.measuredAt), Double($0)) } }, top: 4, low: 40, high: 200, css: "sys")
        out += series(points.compactMap { r in r.vitals.diastolic.map { (x(r.measuredAt), Double($0)) } }, top: 4, low: 40, high: 200, css: "dia")
        // Panel 2: glucose, 2–30 mmol/L.
        let top2 = panel + 24
        out += axis(top: top2, low: 2, high: 30, ticks: [4, 7, 11.1, 20], unit: "mmol/L", limits: [7, 11.1])
        let glucose = points.compactMap { r in (r.vitals.glucoseFasting ?? r.vitals.glucoseRandom).map { (x(r.measuredAt), $0) } }
        out += series(glucose, top: top2, low: 2, high: 30, css: "glu")
        out +=
            "<text class=\"legend\" x=\"\(left)\" y=\"\(Int(panel * 2 + 38))\">收缩压 ● 舒张压 ○ 血糖 ■ · \(Views.time(first).prefix(10)) 至 \(Views.time(last).prefix(10))</text>"
        return out + "</svg>"
    }

    static func y(_ v: Double, top: Double, low: Double, high: Double) -> Double {
        top + panel - (min(max(v, low), high) - low) / (high - low) * panel
    }

    static func axis(top: Double, low: Double, high: Double, ticks: [Double], unit: String, limits: [Double]) -> String {
        var s = "<rect class=\"frame\" x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(panel)\"/>"
        for t in ticks {
            let ty = y(t, top: top, low: low, high: high)
            s += "<text class=\"tick\" x=\"\(left - 3)\" y=\"\(f(ty + 3))\">\(t == t.rounded() ? String(Int(t)) : String(t))</text>"
        }
        for l in limits {
            let ly = f(y(l, top: top, low: low, high: high))
            s += "<line class=\"limit\" x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(ly)\" y2=\"\(ly)\"/>"
        }
        s += "<text class=\"unit\" x=\"\(left + 4)\" y=\"\(f(top + 12))\">\(unit)</text>"
        return s
    }

    static func series(_ values: [(Double, Double)], top: Double, low: Double, high: Double, css: String) -> String {
        guard !values.isEmpty else { return "" }
        let path = values.map { "\(f($0.0)),\(f(y($0.1, top: top, low: low, high: high)))" }.joined(separator: " ")
        var s = values.count > 1 ? "<polyline class=\"\(css)\" points=\"\(path)\"/>" : ""
        for (px, v) in values {
            s += "<circle class=\"\(css)\" cx=\"\(f(px))\" cy=\"\(f(y(v, top: top, low: low, high: high)))\" r=\"3\"><title>\(f(v))</title></circle>"
        }
        return s
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
