/// A district's areas and teams, to roll micro-grid counts up to any street, community, grid or team.
public struct IndicatorTree: Sendable {
    /// One area of the hierarchy.
    public struct Node: Sendable, Equatable {
        public var id: Int64, level: AreaLevel, parentId: Int64?, name: String
        public init(id: Int64, level: AreaLevel, parentId: Int64?, name: String) {
            self.id = id
            self.level = level
            self.parentId = parentId
            self.name = name
        }
    }

    /// A care team and the micro-grids of its catchment.
    public struct Team: Sendable, Equatable {
        public var id: Int64, name: String, microGrids: [Int64]
        public init(id: Int64, name: String, microGrids: [Int64]) {
            self.id = id
            self.name = name
            self.microGrids = microGrids
        }
    }

    /// What a dashboard is about: an area of the district (the district itself, a street, community,
    /// grid or micro-grid) or a care team.
    public enum Focus: Sendable, Equatable {
        case area(Int64), team(Int64)
    }

    public let nodes: [Int64: Node]
    public let teams: [Team]
    let children: [Int64: [Node]]

    public init(nodes: [Node], teams: [Team]) {
        self.nodes = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.teams = teams
        self.children = Dictionary(grouping: nodes.filter { $0.parentId != nil }, by: { $0.parentId! })
            .mapValues { $0.sorted { ($0.name, $0.id) < ($1.name, $1.id) } }
    }

    /// The areas one level down, by name.
    public func children(of id: Int64) -> [Node] { children[id] ?? [] }

    /// The area and its ancestors, the district first: the dashboard's breadcrumb.
    public func path(to id: Int64) -> [Node] {
        var out: [Node] = []
        var at = nodes[id]
        while let n = at {
            out.insert(n, at: 0)
            at = n.parentId.flatMap { nodes[$0] }
        }
        return out
    }

    /// Every micro-grid at or under `id`.
    public func microGrids(under id: Int64) -> [Int64] {
        guard let n = nodes[id] else { return [] }
        if n.level == .microGrid { return [id] }
        return children(of: id).flatMap { microGrids(under: $0.id) }
    }

    /// The micro-grids a focus covers; nil when the tree holds no such area or team.
    public func microGrids(in focus: Focus) -> [Int64]? {
        switch focus {
        case .area(let id): nodes[id] == nil ? nil : microGrids(under: id)
        case .team(let id): teams.first { $0.id == id }?.microGrids
        }
    }

    /// The counts of an area: the sum of its micro-grids'.
    public func counts(of id: Int64, in byGrid: [Int64: IndicatorCounts]) -> IndicatorCounts {
        IndicatorCounts.sum(microGrids(under: id).compactMap { byGrid[$0] })
    }

    /// The counts of a team's catchment, or of the part of it inside `within` (an area id).
    public func counts(of team: Team, within: Int64? = nil, in byGrid: [Int64: IndicatorCounts]) -> IndicatorCounts {
        let inside = within.map { Set(microGrids(under: $0)) }
        return IndicatorCounts.sum(team.microGrids.filter { inside?.contains($0) ?? true }.compactMap { byGrid[$0] })
    }

    /// The teams with at least one micro-grid inside `within`.
    public func teams(within id: Int64) -> [Team] {
        let inside = Set(microGrids(under: id))
        return teams.filter { $0.microGrids.contains(where: inside.contains) }
    }
}
