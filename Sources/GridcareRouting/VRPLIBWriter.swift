import Foundation

/// Writes an instance as a VRPLIB PCVRPTW file in its own integer unit (for the planner's instances, a
/// tenth of a minute): an explicit full matrix (travel times, not distances of the written coordinates)
/// and integer windows, durations and prizes, so every reader gets the same numbers — `VRPLIBReader`
/// with `scale: 1` reads back the very instance; PyVRP's and the DIMACS ×10 convention read the same
/// problem with every value ×10. A required client is written with prize 0 (PyVRP's convention).
public enum VRPLIBWriter {
    public static func text(_ inst: Instance) -> String {
        func v(_ x: Int) -> String { String(x) }
        let n = inst.nodeCount
        var out = [
            "NAME : \(inst.name.isEmpty ? "gridcare" : inst.name)", "TYPE : PCVRPTW", "DIMENSION : \(n)",
            "VEHICLES : \(inst.vehicleCount)", "CAPACITY : \(inst.capacity)",
        ]
        if let d = inst.maxRouteDuration { out.append("MAX_DURATION : \(v(d))") }
        out += ["EDGE_WEIGHT_TYPE : EXPLICIT", "EDGE_WEIGHT_FORMAT : FULL_MATRIX", "NODE_COORD_SECTION"]
        out.append("1 \(String(format: "%.3f", inst.depot.x)) \(String(format: "%.3f", inst.depot.y))")
        for (i, c) in inst.clients.enumerated() { out.append("\(i + 2) \(String(format: "%.3f", c.x)) \(String(format: "%.3f", c.y))") }
        out.append("EDGE_WEIGHT_SECTION")
        for i in 0..<n { out.append((0..<n).map { v(inst.distance(i, $0)) }.joined(separator: " ")) }
        out.append("DEMAND_SECTION")
        out.append("1 0")
        for (i, c) in inst.clients.enumerated() { out.append("\(i + 2) \(c.demand)") }
        out.append("TIME_WINDOW_SECTION")
        out.append("1 \(v(inst.depot.earliest)) \(v(inst.depot.latest))")
        for (i, c) in inst.clients.enumerated() { out.append("\(i + 2) \(v(c.earliest)) \(v(c.latest))") }
        out.append("SERVICE_TIME_SECTION")
        out.append("1 0")
        for (i, c) in inst.clients.enumerated() { out.append("\(i + 2) \(v(c.serviceDuration))") }
        out.append("PRIZE_SECTION")
        out.append("1 0")
        for (i, c) in inst.clients.enumerated() { out.append("\(i + 2) \(c.required ? "0" : v(c.prize))") }
        out += ["DEPOT_SECTION", "1", "-1", "EOF"]
        return out.joined(separator: "\n") + "\n"
    }
}
