import Foundation
import GridcareAPI
import GridcareCore
import GridcareStore

extension Components.Schemas.MedicineBox {
    init(_ b: MedicineBox) {
        self.init(
            id: b.id,
            areaId: b.areaId,
            communityId: b.communityId,
            gridId: b.gridId,
            microGridId: b.microGridId,
            kind: .init(rawValue: b.kind)!,
            name: b.name,
            place: b.place,
            custodianId: b.custodianId,
            custodianName: b.custodianName,
            active: b.active
        )
    }
}

extension Components.Schemas.Offer {
    init(_ o: Offer, rules: BoardRules, today: SimpleDate) {
        self.init(
            id: o.id,
            boxId: o.boxId,
            boxName: o.boxName,
            microGridId: o.microGridId,
            communityId: o.communityId,
            itemName: o.itemName,
            category: o.category,
            quantity: o.quantity,
            available: o.available,
            unit: o.unit,
            expiresOn: o.expiresOn.iso,
            expiresSoon: o.status == "open" && rules.expiresSoon(o.expiresOn, today: today),
            donorName: o.donorName,
            note: o.note,
            status: .init(rawValue: o.status)!,
            needsApproval: o.category.needsDoctor && o.approvedBy == nil,
            approvedBy: o.approvedBy,
            approvedAt: o.approvedAt,
            postedBy: o.postedBy,
            postedAt: o.postedAt,
            version: o.version
        )
    }
}

extension Components.Schemas.BoardRequest {
    init(_ r: BoardRequest) {
        self.init(
            id: r.id,
            residentId: r.residentId,
            residentName: r.residentName,
            microGridId: r.microGridId,
            itemName: r.itemName,
            category: r.category,
            quantity: r.quantity,
            delivered: r.delivered,
            claimed: r.claimed,
            outstanding: r.outstanding,
            urgency: r.urgency,
            reason: r.reason,
            status: .init(rawValue: r.status)!,
            needsApproval: r.category.needsDoctor && r.approvedBy == nil,
            approvedBy: r.approvedBy,
            approvedAt: r.approvedAt,
            postedBy: r.postedBy,
            postedAt: r.postedAt,
            fulfilledAt: r.fulfilledAt,
            cancelledAt: r.cancelledAt,
            version: r.version
        )
    }
}

extension Components.Schemas.Claim {
    init(_ c: Claim) {
        self.init(
            id: c.id,
            offerId: c.offerId,
            itemName: c.itemName,
            unit: c.unit,
            requestId: c.requestId,
            residentId: c.residentId,
            residentName: c.residentName,
            quantity: c.quantity,
            status: c.status,
            allowedActions: c.status.allowedActions,
            claimedBy: c.claimedBy,
            reservedAt: c.reservedAt,
            holdUntil: c.holdUntil,
            pickedUpBy: c.pickedUpBy,
            pickedUpAt: c.pickedUpAt,
            deliveredBy: c.deliveredBy,
            deliveredAt: c.deliveredAt,
            cancelledBy: c.cancelledBy,
            cancelledAt: c.cancelledAt,
            cancelReason: c.cancelReason,
            version: c.version
        )
    }
}

extension APIHandler {
    var board: BoardStore { BoardStore(db, rules: config.boardRules) }
    var boardRequests: BoardRequestStore { BoardRequestStore(db, rules: config.boardRules) }
    var claims: ClaimStore { ClaimStore(db, rules: config.boardRules) }

    func offerJSON(_ o: Offer) -> Components.Schemas.Offer { .init(o, rules: config.boardRules, today: today) }

    func boardView(_ input: Operations.BoardView.Input) async throws -> Operations.BoardView.Output {
        let area = input.query.areaId
        let level = try await AreaStore(db).get(area, logger: logger).level
        guard level == .community || level == .microGrid else { throw FieldError("areaId", "must be a micro-grid or community") }
        let offers = try await board.offers(.init(areaId: area), page: try PageRequest(cursor: nil, limit: PageRequest.maximumLimit), logger: logger)
        let requests = try await boardRequests.list(
            .init(areaId: area),
            page: try PageRequest(cursor: nil, limit: PageRequest.maximumLimit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(areaId: area, offers: offers.items.map(offerJSON), requests: requests.items.map { .init($0) }))))
    }

    func listBoxes(_ input: Operations.ListBoxes.Input) async throws -> Operations.ListBoxes.Output {
        .ok(.init(body: .json(.init(items: try await board.boxes(areaId: input.query.areaId, logger: logger).map { .init($0) }))))
    }

    func createBox(_ input: Operations.CreateBox.Input) async throws -> Operations.CreateBox.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let box = try await board.createBox(
            areaId: b.areaId,
            kind: b.kind.rawValue,
            name: b.name,
            place: b.place,
            custodianId: b.custodianId,
            logger: logger
        )
        return .created(.init(body: .json(.init(box))))
    }

    func listOffers(_ input: Operations.ListOffers.Input) async throws -> Operations.ListOffers.Output {
        let q = input.query
        let page = try await board.offers(
            .init(
                areaId: q.areaId,
                boxId: q.boxId,
                category: q.category,
                includeClosed: q.includeClosed ?? false
            ),
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map(offerJSON), nextCursor: page.nextCursor))))
    }

    func postOffer(_ input: Operations.PostOffer.Input) async throws -> Operations.PostOffer.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        guard let expires = try date(b.expiresOn, field: "expiresOn") else { throw FieldError("expiresOn", "is required") }
        let offer = try await board.postOffer(
            .init(
                boxId: b.boxId,
                itemName: b.itemName,
                category: b.category,
                quantity: b.quantity,
                unit: b.unit,
                expiresOn: expires,
                donorName: b.donorName,
                note: b.note
            ),
            today: today,
            logger: logger
        )
        return .created(.init(body: .json(offerJSON(offer))))
    }

    func getOffer(_ input: Operations.GetOffer.Input) async throws -> Operations.GetOffer.Output {
        .ok(.init(body: .json(offerJSON(try await board.offer(input.path.id, logger: logger)))))
    }

    func withdrawOffer(_ input: Operations.WithdrawOffer.Input) async throws -> Operations.WithdrawOffer.Output {
        .ok(.init(body: .json(offerJSON(try await board.withdrawOffer(input.path.id, logger: logger)))))
    }

    func approveOffer(_ input: Operations.ApproveOffer.Input) async throws -> Operations.ApproveOffer.Output {
        .ok(.init(body: .json(offerJSON(try await board.approveOffer(input.path.id, logger: logger)))))
    }

    func listBoardRequests(_ input: Operations.ListBoardRequests.Input) async throws -> Operations.ListBoardRequests.Output {
        let q = input.query
        let page = try await boardRequests.list(
            .init(areaId: q.areaId, residentId: q.residentId, openOnly: q.open ?? true),
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor))))
    }

    func postBoardRequest(_ input: Operations.PostBoardRequest.Input) async throws -> Operations.PostBoardRequest.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let request = try await boardRequests.post(
            .init(
                residentId: b.residentId,
                itemName: b.itemName,
                category: b.category,
                quantity: b.quantity,
                urgency: b.urgency,
                reason: b.reason
            ),
            logger: logger
        )
        return .created(.init(body: .json(.init(request))))
    }

    func getBoardRequest(_ input: Operations.GetBoardRequest.Input) async throws -> Operations.GetBoardRequest.Output {
        .ok(.init(body: .json(.init(try await boardRequests.get(input.path.id, logger: logger)))))
    }

    func approveBoardRequest(_ input: Operations.ApproveBoardRequest.Input) async throws -> Operations.ApproveBoardRequest.Output {
        .ok(.init(body: .json(.init(try await boardRequests.approve(input.path.id, logger: logger)))))
    }

    func cancelBoardRequest(_ input: Operations.CancelBoardRequest.Input) async throws -> Operations.CancelBoardRequest.Output {
        .ok(.init(body: .json(.init(try await boardRequests.cancel(input.path.id, logger: logger)))))
    }

    func matchBoardRequest(_ input: Operations.MatchBoardRequest.Input) async throws -> Operations.MatchBoardRequest.Output {
        let (request, matches) = try await boardRequests.matches(input.path.id, today: today, logger: logger)
        let note: String? =
            switch request.claimBlock {
            case .notOpen(let status): "the request is \(status)"
            case .nothingOutstanding: "everything asked for is claimed"
            case .awaitingDoctor: "prescription medicine: a doctor of the resident's team has not approved this request"
            case nil: nil
            }
        return .ok(
            .init(
                body: .json(
                    .init(
                        request: .init(request),
                        note: note,
                        items: matches.map { .init(proximity: .init(rawValue: $0.proximity.rawValue)!, offer: offerJSON($0.offer)) }
                    )
                )
            )
        )
    }

    func listClaims(_ input: Operations.ListClaims.Input) async throws -> Operations.ListClaims.Output {
        let q = input.query
        let page = try await claims.list(
            openOnly: q.open ?? true,
            claimedBy: q.mine == true ? db.scope?.userId : nil,
            requestId: q.requestId,
            page: try pageRequest(cursor: q.cursor, limit: q.limit),
            logger: logger
        )
        return .ok(.init(body: .json(.init(items: page.items.map { .init($0) }, nextCursor: page.nextCursor))))
    }

    func createClaim(_ input: Operations.CreateClaim.Input) async throws -> Operations.CreateClaim.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let claim = try await claims.claim(requestId: b.requestId, offerId: b.offerId, quantity: b.quantity, today: today, logger: logger)
        return .created(.init(headers: .init(eTag: etag(claim.version)), body: .json(.init(claim))))
    }

    func actOnClaim(_ input: Operations.ActOnClaim.Input) async throws -> Operations.ActOnClaim.Output {
        guard case .json(let b) = input.body else { throw Problem(status: .unsupportedMediaType) }
        let claim = try await claims.act(
            input.path.id,
            b.action,
            today: today,
            ifVersion: try version(ifMatch: input.headers.ifMatch),
            logger: logger
        )
        return .ok(.init(headers: .init(eTag: etag(claim.version)), body: .json(.init(claim))))
    }

    func boardReport(_ input: Operations.BoardReport.Input) async throws -> Operations.BoardReport.Output {
        let q = input.query
        let from = try date(q.from, field: "from")
        let to = try date(q.to, field: "to")
        if let from, let to, to <= from { throw FieldError("to", "must be after from") }
        let r = try await BoardReports(db.reporting()).report(
            districtId: q.districtId,
            from: from?.startInChina,
            to: to?.startInChina,
            logger: logger
        )
        func person(_ p: BoardPersonFigures) -> Components.Schemas.BoardPerson {
            .init(name: p.name, offers: p.offers, unitsGiven: p.unitsGiven, claims: p.claims, unitsDelivered: p.unitsDelivered)
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        communities: r.communities.map {
                            .init(
                                communityId: $0.communityId,
                                communityName: $0.communityName,
                                requests: $0.requests,
                                fulfilled: $0.fulfilled,
                                fulfilledWithin24h: $0.fulfilledWithin24h,
                                shareWithin24h: $0.shareWithin24h,
                                offers: $0.offers,
                                unitsOffered: $0.unitsOffered,
                                unitsDelivered: $0.unitsDelivered
                            )
                        },
                        donors: r.donors.map(person),
                        carriers: r.carriers.map(person)
                    )
                )
            )
        )
    }
}
