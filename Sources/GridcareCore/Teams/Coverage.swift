/// Figures the coverage report works from, configurable in Config/.
public struct CoverageRules: Sendable, Equatable {
    /// A micro-grid outside this household range is a warning (30–100 by default).
    public var householdsPerMicroGrid: ClosedRange<Int>

    public init(householdsPerMicroGrid: ClosedRange<Int> = 30...100) {
        self.householdsPerMicroGrid = householdsPerMicroGrid
    }
}

/// The coverage report: who nobody covers, which teams break 1+1+N, which micro-grids are out of size.
public struct CoverageReport: Sendable, Equatable {
    public struct MicroGridLine: Sendable, Equatable {
        public var microGridId: Int64
        public var name: String
        public var gridName: String
        public var households: Int
        public init(microGridId: Int64, name: String, gridName: String, households: Int) {
            self.microGridId = microGridId
            self.name = name
            self.gridName = gridName
            self.households = households
        }
    }

    public struct TeamLine: Sendable, Equatable {
        public var teamId: Int64
        public var name: String
        public var problems: [String]
        public init(teamId: Int64, name: String, problems: [String]) {
            self.teamId = teamId
            self.name = name
            self.problems = problems
        }
    }

    public var microGrids: Int
    public var coveredMicroGrids: Int
    public var uncovered: [MicroGridLine]
    public var brokenTeams: [TeamLine]
    public var outOfSize: [MicroGridLine]

    /// Builds the report from every micro-grid (with its covering team, if any) and every team's seats.
    public static func build(
        microGrids: [(line: MicroGridLine, teamId: Int64?)],
        teams: [(id: Int64, name: String, seats: [TeamSeat])],
        rules: CoverageRules
    ) -> CoverageReport {
        let uncovered = microGrids.filter { $0.teamId == nil }.map(\.line)
        let outOfSize = microGrids.map(\.line).filter { !rules.householdsPerMicroGrid.contains($0.households) }
        let broken = teams.compactMap { team -> TeamLine? in
            let problems = TeamComposition.violations(team.seats)
            return problems.isEmpty ? nil : TeamLine(teamId: team.id, name: team.name, problems: problems)
        }
        return CoverageReport(
            microGrids: microGrids.count,
            coveredMicroGrids: microGrids.count - uncovered.count,
            uncovered: uncovered,
            brokenTeams: broken,
            outOfSize: outOfSize
        )
    }
}
