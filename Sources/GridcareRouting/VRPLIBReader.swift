import Foundation

/// Reads VRPLIB `.vrp` files (CVRP, VRPTW, PCVRPTW).
///
/// Scaling convention (verified against the PyVRP instances' best-known `.sol` files, see
/// the evaluator tests): every time, duration, distance and prize is multiplied by `scale`
/// (default 10) and kept as an integer; EUC_2D distances are `floor(10 * euclidean)` — the DIMACS
/// "truncate to one decimal" rule. Demands and capacity are not scaled.
/// The VRPTW `.sol` files print the cost in the file's unit (`Cost 42444.8` = 424448 / 10);
/// the PCVRPTW `.sol` files print the scaled integer directly (`Cost: 245391` =
/// Σ floor(10·d) + 10·Σ prizes of skipped clients).
///
/// Only a single depot is supported and it must be the first node. Without a PRIZE_SECTION every
/// client is required; with one, a client with a positive prize is optional (skip cost = its prize)
/// and a client with prize 0 is required — PyVRP's reading of the same files.
public enum VRPLIBReader {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public static func read(path: String, scale: Int = 10) throws -> Instance {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ParseError(line: 0, message: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text, scale: scale)
    }

    public static func parse(_ text: String, scale: Int = 10) throws -> Instance {
        var name = ""
        var type = ""
        var weightType = "EUC_2D"
        var weightFormat = "FULL_MATRIX"
        var dimension = -1
        var vehicles = -1
        var capacity = Int(Int32.max)
        var serviceTime = 0.0
        var maxDuration: Int? = nil
        var xs: [Double] = []
        var ys: [Double] = []
        var demand: [Int] = []
        var early: [Double] = []
        var late: [Double] = []
        var service: [Double] = []
        var prize: [Double] = []
        var hasCoords = false
        var hasTW = false
        var hasService = false
        var hasPrize = false
        var depots: [Int] = []
        var weights: [Double] = []
        var section = ""
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)

        func fail(_ ln: Int, _ msg: String) -> ParseError { ParseError(line: ln, message: msg) }
        func ensureDim(_ ln: Int) throws {
            if dimension <= 0 { throw fail(ln, "section before DIMENSION") }
            if xs.isEmpty {
                xs = .init(repeating: 0, count: dimension)
                ys = xs
                demand = .init(repeating: 0, count: dimension)
                early = .init(repeating: 0, count: dimension)
                late = .init(repeating: Double(Int32.max) / Double(scale) / 4, count: dimension)
                service = .init(repeating: serviceTime, count: dimension)
                prize = .init(repeating: 0, count: dimension)
            }
        }
        func node(_ tok: Substring, _ ln: Int) throws -> Int {
            guard let id = Int(tok), id >= 1, id <= dimension else { throw fail(ln, "bad node id '\(tok)'") }
            return id - 1
        }
        func num(_ tok: Substring, _ ln: Int) throws -> Double {
            guard let v = Double(tok) else { throw fail(ln, "bad number '\(tok)'") }
            return v
        }

        for (idx, raw) in lines.enumerated() {
            let ln = idx + 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let toks = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let first = toks[0]
            let startsNumeric = first.first.map { $0.isNumber || $0 == "-" || $0 == "." } ?? false
            if !startsNumeric {
                if first == "EOF" { break }
                if let colon = line.firstIndex(of: ":"), !line.hasSuffix("_SECTION") {
                    let key = line[..<colon].trimmingCharacters(in: .whitespaces).uppercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    section = ""
                    func int() throws -> Int {
                        guard let v = Int(value) else { throw fail(ln, "\(key): expected an integer, got '\(value)'") }
                        return v
                    }
                    switch key {
                    case "NAME": name = value
                    case "TYPE":
                        type = value.uppercased()
                        guard ["VRPTW", "PCVRPTW", "CVRP"].contains(type) else { throw fail(ln, "unsupported TYPE \(value)") }
                    case "DIMENSION": dimension = try int()
                    case "VEHICLES": vehicles = try int()
                    case "CAPACITY": capacity = try int()
                    case "SERVICE_TIME":
                        guard let v = Double(value) else { throw fail(ln, "SERVICE_TIME: bad number '\(value)'") }
                        serviceTime = v
                    case "DISTANCE", "MAX_DURATION", "MAX_ROUTE_DURATION":
                        guard let v = Double(value) else { throw fail(ln, "\(key): bad number '\(value)'") }
                        maxDuration = Int((v * Double(scale)).rounded())
                    case "EDGE_WEIGHT_TYPE":
                        weightType = value.uppercased()
                        guard weightType == "EUC_2D" || weightType == "EXPLICIT" else { throw fail(ln, "unsupported EDGE_WEIGHT_TYPE \(value)") }
                    case "EDGE_WEIGHT_FORMAT":
                        weightFormat = value.uppercased()
                        guard weightFormat == "FULL_MATRIX" else { throw fail(ln, "unsupported EDGE_WEIGHT_FORMAT \(value)") }
                    default: break  // COMMENT and unknown keys are ignored
                    }
                    continue
                }
                section = String(first).uppercased()
                if section.hasSuffix("_SECTION") { try ensureDim(ln) }
                switch section {
                case "NODE_COORD_SECTION": hasCoords = true
                case "TIME_WINDOW_SECTION": hasTW = true
                case "SERVICE_TIME_SECTION": hasService = true
                case "PRIZE_SECTION": hasPrize = true
                case "DEMAND_SECTION", "DEPOT_SECTION", "EDGE_WEIGHT_SECTION": break
                default:
                    if !section.hasSuffix("_SECTION") { throw fail(ln, "unexpected line '\(line)'") }
                }
                continue
            }
            switch section {
            case "NODE_COORD_SECTION":
                guard toks.count >= 3 else { throw fail(ln, "expected 'id x y'") }
                let i = try node(toks[0], ln)
                xs[i] = try num(toks[1], ln)
                ys[i] = try num(toks[2], ln)
            case "DEMAND_SECTION":
                guard toks.count >= 2, let d = Int(toks[1]) else { throw fail(ln, "expected 'id demand'") }
                demand[try node(toks[0], ln)] = d
            case "TIME_WINDOW_SECTION":
                guard toks.count >= 3 else { throw fail(ln, "expected 'id earliest latest'") }
                let i = try node(toks[0], ln)
                early[i] = try num(toks[1], ln)
                late[i] = try num(toks[2], ln)
                if late[i] < early[i] { throw fail(ln, "time window closes before it opens") }
            case "SERVICE_TIME_SECTION":
                guard toks.count >= 2 else { throw fail(ln, "expected 'id service'") }
                service[try node(toks[0], ln)] = try num(toks[1], ln)
            case "PRIZE_SECTION":
                guard toks.count >= 2 else { throw fail(ln, "expected 'id prize'") }
                prize[try node(toks[0], ln)] = try num(toks[1], ln)
            case "DEPOT_SECTION":
                guard let v = Int(first) else { throw fail(ln, "bad depot id '\(first)'") }
                if v == -1 {
                    section = ""
                    continue
                }
                depots.append(v)
            case "EDGE_WEIGHT_SECTION":
                for t in toks { weights.append(try num(t, ln)) }
            default:
                throw fail(ln, "data outside a known section: '\(line)'")
            }
        }

        if dimension <= 1 { throw fail(0, "missing or too small DIMENSION") }
        if depots.isEmpty { depots = [1] }
        if depots != [1] { throw fail(0, "only a single depot at node 1 is supported (got \(depots))") }
        if weightType == "EUC_2D" && !hasCoords { throw fail(0, "EUC_2D without NODE_COORD_SECTION") }
        if weightType == "EXPLICIT" && weights.count != dimension * dimension {
            throw fail(0, "EDGE_WEIGHT_SECTION has \(weights.count) values, expected \(dimension * dimension)")
        }
        _ = hasService
        _ = hasTW
        let s = Double(scale)
        func sc(_ v: Double) -> Int { Int((v * s).rounded()) }
        let depot = Depot(x: xs[0], y: ys[0], earliest: sc(early[0]), latest: sc(late[0]))
        var clients: [Client] = []
        clients.reserveCapacity(dimension - 1)
        for i in 1..<dimension {
            clients.append(
                Client(
                    x: xs[i],
                    y: ys[i],
                    demand: demand[i],
                    serviceDuration: sc(service[i]),
                    earliest: sc(early[i]),
                    latest: sc(late[i]),
                    prize: sc(prize[i]),
                    required: !hasPrize || prize[i] == 0
                )
            )
        }
        let nVeh = vehicles > 0 ? vehicles : dimension - 1
        if weightType == "EUC_2D" {
            return Instance.euclidean(
                name: name,
                depot: depot,
                clients: clients,
                vehicleCount: nVeh,
                capacity: capacity,
                maxRouteDuration: maxDuration,
                scale: scale
            )
        }
        let m = weights.map { Int32(($0 * s).rounded()) }
        return Instance(
            name: name,
            depot: depot,
            clients: clients,
            vehicleCount: nVeh,
            capacity: capacity,
            maxRouteDuration: maxDuration,
            matrix: m,
            costScale: scale
        )
    }
}
