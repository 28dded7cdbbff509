import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.RegistrationReview {
    init(_ r: RegistrationReviewStore.Review) {
        self.init(
            id: r.id,
            residentId: r.residentId,
            residentDistrictId: r.residentDistrictId,
            existingResidentId: r.existingResidentId,
            existingDistrictId: r.existingDistrictId,
            requestedBy: r.requestedBy,
            status: .init(rawValue: r.status)!,
            createdAt: r.createdAt,
            decidedAt: r.decidedAt,
            decidedBy: r.decidedBy,
            note: r.note
        )
    }
}

extension APIHandler {
    func listRegistrationReviews(_ input: Operations.ListRegistrationReviews.Input) async throws -> Operations.ListRegistrationReviews.Output {
        let q = input.query
        let page = try await RegistrationReviewStore(db).list(
            pendingOnly: q.pending ?? true,
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map(Components.Schemas.RegistrationReview.init), nextCursor: page.nextCursor))))
    }

    func decideRegistrationReview(_ input: Operations.DecideRegistrationReview.Input) async throws -> Operations.DecideRegistrationReview.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let decision = RegistrationReviewStore.Decision(rawValue: b.decision.rawValue)!
        let review = try await RegistrationReviewStore(db).decide(input.path.id, decision, note: b.note, logger: logger)
        return .ok(.init(body: .json(.init(review))))
    }
}
