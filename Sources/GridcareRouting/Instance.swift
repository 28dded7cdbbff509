// Plain value types describing a routing instance.
//
// Units: every time, duration, distance and prize is an `Int` in "scaled units".
// The VRPLIB reader uses scale 10 (the DIMACS convention: distances and durations
// truncated to one decimal, kept as integers ×10). `costScale` tells how to
// convert an integer cost back to the instance's own unit (cost / costScale).

/// One client (a visit). Node index `i` in routes refers to `clients[i - 1]`; node 0 is the depot.
public struct Client: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var demand: Int
    public var serviceDuration: Int
    /// Earliest start of service.
    public var earliest: Int
    /// Latest start of service.
    public var latest: Int
    /// Cost paid when the client is skipped (only meaningful when `required == false`).
    public var prize: Int
    /// A required client must be visited; an optional one may be skipped at the cost of its prize.
    public var required: Bool

    public init(
        x: Double = 0,
        y: Double = 0,
        demand: Int = 0,
        serviceDuration: Int = 0,
        earliest: Int = 0,
        latest: Int = Int(Int32.max),
        prize: Int = 0,
        required: Bool = true
    ) {
        self.x = x
        self.y = y
        self.demand = demand
        self.serviceDuration = serviceDuration
        self.earliest = earliest
        self.latest = latest
        self.prize = prize
        self.required = required
    }
}

/// The single depot: every route starts and ends here, within its window.
public struct Depot: Sendable, Equatable {
    public var x: Double
    public var y: Double
    /// Earliest departure.
    public var earliest: Int
    /// Latest return (due time).
    public var latest: Int

    public init(x: Double = 0, y: Double = 0, earliest: Int = 0, latest: Int = Int(Int32.max)) {
        self.x = x
        self.y = y
        self.earliest = earliest
        self.latest = latest
    }
}

public struct Instance: Sendable {
    public var name: String
    public var depot: Depot
    public var clients: [Client]
    /// Maximum number of routes.
    public var vehicleCount: Int
    public var capacity: Int
    /// Optional bound on a route's duration (departure to return, waiting included,
    /// departure chosen as late as possible).
    public var maxRouteDuration: Int?
    /// Row-major `nodeCount × nodeCount` matrix used both as distance and as travel time.
    public private(set) var matrix: [Int32]
    /// Integer costs divided by this give the instance's own unit (10 for VRPLIB/DIMACS).
    public var costScale: Int

    public var nodeCount: Int { clients.count + 1 }

    public init(
        name: String = "",
        depot: Depot,
        clients: [Client],
        vehicleCount: Int,
        capacity: Int,
        maxRouteDuration: Int? = nil,
        matrix: [Int32],
        costScale: Int = 1
    ) {
        precondition(matrix.count == (clients.count + 1) * (clients.count + 1), "matrix must be n×n")
        self.name = name
        self.depot = depot
        self.clients = clients
        self.vehicleCount = vehicleCount
        self.capacity = capacity
        self.maxRouteDuration = maxRouteDuration
        self.matrix = matrix
        self.costScale = costScale
    }

    /// Builds the matrix from coordinates: `floor(scale * euclidean)` (DIMACS truncation when scale = 10).
    public static func euclidean(
        name: String = "",
        depot: Depot,
        clients: [Client],
        vehicleCount: Int,
        capacity: Int,
        maxRouteDuration: Int? = nil,
        scale: Int = 1
    ) -> Instance {
        let xs = [depot.x] + clients.map(\.x)
        let ys = [depot.y] + clients.map(\.y)
        let n = xs.count
        var m = [Int32](repeating: 0, count: n * n)
        let s = Double(scale)
        for i in 0..<n {
            for j in 0..<n where i != j {
                let dx = xs[i] - xs[j]
                let dy = ys[i] - ys[j]
                m[i * n + j] = Int32((s * (dx * dx + dy * dy).squareRoot()).rounded(.down))
            }
        }
        return Instance(
            name: name,
            depot: depot,
            clients: clients,
            vehicleCount: vehicleCount,
            capacity: capacity,
            maxRouteDuration: maxRouteDuration,
            matrix: m,
            costScale: scale
        )
    }

    @inline(__always) public func distance(_ i: Int, _ j: Int) -> Int {
        Int(matrix[i * nodeCount + j])
    }

    /// Formats an integer cost in the instance's own unit (e.g. 424448 → "42444.8" for scale 10).
    public func formatCost(_ c: Int) -> String {
        if costScale == 1 { return String(c) }
        var digits = 0
        var s = costScale
        while s > 1 {
            s /= 10
            digits += 1
        }
        let neg = c < 0
        let a = abs(c)
        let whole = a / costScale
        let frac = a % costScale
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return (neg ? "-" : "") + "\(whole).\(f)"
    }
}

/// A solution: routes of client node indices (1...n-1), depot implicit at both ends.
public struct Solution: Sendable, Equatable {
    public var routes: [[Int]]
    /// Integer cost (distance + prizes of skipped clients), in scaled units.
    public var cost: Int
    public var isFeasible: Bool
    public var skipped: [Int]
    public var iterations: Int

    public init(routes: [[Int]], cost: Int, isFeasible: Bool, skipped: [Int], iterations: Int = 0) {
        self.routes = routes
        self.cost = cost
        self.isFeasible = isFeasible
        self.skipped = skipped
        self.iterations = iterations
    }
}
