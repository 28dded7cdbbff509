import GridcareAPI
import GridcareCore
import GridcareStore

extension APIHandler {
    /// The dashboard's tables, as the console shows them, for machines.
    func indicatorReport(_ input: Operations.IndicatorReport.Input) async throws -> Operations.IndicatorReport.Output {
        let q = input.query
        guard let district = db.scope?.districtId ?? q.districtId else {
            throw FieldError("districtId", "is required for a deployment-wide administrator")
        }
        let today = SimpleDate.todayInChina()
        let from = try date(q.from, field: "from") ?? SimpleDate(year: today.year, month: 1, day: 1)!
        let to = try date(q.to, field: "to") ?? today
        let period = try Dashboard.period(from: from, to: to)
        if q.areaId != nil && q.teamId != nil { throw FieldError("teamId", "give an area or a team, not both") }
        let focus: Dashboard.Focus = q.teamId.map { .team($0) } ?? .area(q.areaId ?? district)
        let d = try await Dashboard.read(
            db,
            districtId: district,
            focus: focus,
            period: period,
            config: config,
            heavyWork: heavyWork,
            liveCounts: liveCounts,
            mobilisation: mobilisation,
            logger: logger
        )
        return .ok(
            .init(
                body: .json(
                    .init(
                        title: d.title,
                        from: period.from.iso,
                        to: period.to.iso,
                        previousFrom: period.previous.from.iso,
                        previousTo: period.previous.to.iso,
                        tables: d.tables.map { t in
                            .init(
                                key: t.key,
                                title: t.title,
                                note: t.note,
                                columns: t.columns,
                                rows: t.rows.map { .init(cells: $0.cells.map(\.shown), values: $0.cells.map(\.number)) }
                            )
                        }
                    )
                )
            )
        )
    }
}

extension ReportTable.Cell {
    /// The cell as a number for a machine: a rate as a fraction; nil for text and a group too small to show.
    var number: Double? {
        switch self {
        case .count(let n): Double(n)
        case .figure(let x): x
        case .rate(let r): r
        case .text, .tooFew: nil
        }
    }
}
