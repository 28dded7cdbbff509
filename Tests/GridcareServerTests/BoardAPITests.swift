import Configuration
import Foundation
import GridcareCore
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import HummingbirdTesting
import Testing

/// A box in the fixture's first micro-grid (kept by its grid worker) and one in the community, and helpers
/// to post offers and requests as the micro-grid's grid worker.
struct BoardSetup: Sendable {
    let client: any TestClientProtocol
    let f: Fixture
    let users: TestUsers
    var box: Int64 = 0, communityBox: Int64 = 0

    static func make(_ client: any TestClientProtocol, _ f: Fixture, _ users: TestUsers) async throws -> BoardSetup {
        var s = BoardSetup(client: client, f: f, users: users)
        let (a, box, _) = try await client.call(
            .post,
            "/v1/board/boxes",
            json: [
                "areaId": f.microGridIds[0], "kind": "relay_point", "name": "卫生站共享药箱", "place": "村卫生室二号柜", "custodianId": f.gridWorkerIds[0],
            ],
            token: users[.centreStaff]
        )
        #expect(a == .created, "\(box)")
        let (b, community, _) = try await client.call(
            .post,
            "/v1/board/boxes",
            json: [
                "areaId": f.communityId, "kind": "box", "name": "村委会药箱", "custodianId": f.partyMemberId,
            ],
            token: users[.admin]
        )
        #expect(b == .created, "\(community)")
        s.box = box.id
        s.communityBox = community.id
        return s
    }

    func offer(
        _ item: String = "布洛芬缓释胶囊",
        category: String = "otc_medicine",
        quantity: Int = 10,
        expiresIn days: Int = 200,
        box: Int64? = nil
    ) async throws -> [String: Any] {
        let (status, offer, _) = try await client.call(
            .post,
            "/v1/board/offers",
            json: [
                "boxId": box ?? self.box, "itemName": item, "category": category, "quantity": quantity, "unit": "粒",
                "expiresOn": SimpleDate.todayInChina().adding(days: days).iso, "donorName": "3栋王阿姨",
            ],
            token: users[.gridWorker]
        )
        #expect(status == .created, "\(offer)")
        return offer
    }

    func request(_ resident: Int64, item: String? = "布洛芬", category: String = "otc_medicine", quantity: Int = 2) async throws -> [String: Any] {
        var body: [String: Any] = [
            "residentId": resident, "category": category, "quantity": quantity, "urgency": "urgent", "reason": "发热 38.9℃，家中无退烧药",
        ]
        if let item { body["itemName"] = item }
        let (status, request, _) = try await client.call(.post, "/v1/board/requests", json: body, token: users[.gridWorker])
        #expect(status == .created, "\(request)")
        return request
    }

    @discardableResult
    func claim(
        _ request: Int64,
        _ offer: Int64,
        _ quantity: Int,
        token: String? = nil,
        expect expected: HTTPResponse.Status = .created
    ) async throws -> [String: Any] {
        let (status, claim, _) = try await client.call(
            .post,
            "/v1/board/claims",
            json: ["requestId": request, "offerId": offer, "quantity": quantity],
            token: token ?? users[.gridWorker]
        )
        #expect(status == expected, "\(claim)")
        return claim
    }

    @discardableResult
    func act(_ claim: Int64, _ action: String, token: String? = nil, expect expected: HTTPResponse.Status = .ok) async throws -> [String: Any] {
        let (status, answer, _) = try await client.call(
            .post,
            "/v1/board/claims/\(claim)/actions",
            json: ["action": action],
            token: token ?? users[.gridWorker]
        )
        #expect(status == expected, "\(action): \(answer)")
        return answer
    }
}

func boardConfig(cap: Int) -> AppConfig {
    concurrencyConfig([AbsoluteConfigKey(["rules", "board", "maxOpenClaimsPerWorker"]): .init(.int(cap), isSecret: false)])
}

@Suite struct BoardFlowTests {
    @Test func aNeighboursSpareMedicineReachesAFeverishResidentAndTheReportCountsIt() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let far = try await s.offer("布洛芬片", quantity: 20, expiresIn: 300, box: s.communityBox)
            let near = try await s.offer(quantity: 10, expiresIn: 20)
            #expect(near["expiresSoon"] as? Bool == true && far["expiresSoon"] as? Bool == false)
            _ = try await s.offer("抗原检测试剂", category: "test_kit")
            let request = try await s.request(p.inside.id)
            #expect(request["outstanding"] as? Int == 2)

            let (_, matched, _) = try await client.call(.get, "/v1/board/requests/\(request.id)/matches", token: users[.gridWorker])
            let items = matched.items
            #expect(items.compactMap { ($0["offer"] as? [String: Any])?.id } == [near.id, far.id])
            #expect(items.compactMap { $0["proximity"] as? String } == ["same_micro_grid", "same_community"])

            let claim = try await s.claim(request.id, near.id, 2)
            #expect(claim["status"] as? String == "reserved" && claim["allowedActions"] as? [String] == ["pick_up", "cancel"])
            #expect(try await client.call(.get, "/v1/board/offers/\(near.id)", token: users[.districtManager]).1["available"] as? Int == 8)
            // Claimed in full: nothing more matches.
            #expect(try await client.call(.get, "/v1/board/requests/\(request.id)/matches", token: users[.gridWorker]).1.items.isEmpty)
            try await s.act(claim.id, "pick_up")
            // The recipient's grid worker confirms the delivery; a clinic's staff member does not.
            try await s.act(claim.id, "deliver", token: users[.centreStaff], expect: .forbidden)
            let delivered = try await s.act(claim.id, "deliver")
            #expect(delivered["status"] as? String == "delivered")
            let done = try await client.call(.get, "/v1/board/requests/\(request.id)", token: users[.centreStaff]).1
            #expect(done["status"] as? String == "fulfilled" && done["delivered"] as? Int == 2 && done["fulfilledAt"] != nil)

            let (_, view, _) = try await client.call(.get, "/v1/board?areaId=\(f.microGridIds[0])", token: users[.gridWorker])
            #expect(((view["offers"] as? [[String: Any]]) ?? []).count == 2)
            #expect(((view["requests"] as? [[String: Any]]) ?? []).isEmpty)

            let (_, report, _) = try await client.call(.get, "/v1/reports/board", token: users[.districtManager])
            let community = (report["communities"] as? [[String: Any]])?.first ?? [:]
            #expect(community["requests"] as? Int == 1 && community["fulfilledWithin24h"] as? Int == 1)
            #expect(community["shareWithin24h"] as? Double == 1.0)
            #expect(community["unitsDelivered"] as? Int == 2)
            #expect((report["donors"] as? [[String: Any]])?.first?["name"] as? String == "3栋王阿姨")
            #expect((report["carriers"] as? [[String: Any]])?.first?["unitsDelivered"] as? Int == 2)
            // Who claimed and delivered what is on the audit trail with the resident.
            let trail = try await db.client.query(
                """
                SELECT detail FROM audit_event WHERE resident_id = \(p.inside.id) AND operation IN ('createClaim', 'actOnClaim') AND outcome = 'ok' ORDER BY id
                """
            ).decode(String.self).all()
            #expect(trail.count == 3 && trail.last == "claim \(claim.id) deliver", "\(trail)")
            // Delivered, the claim no longer counts against its claimer's cap.
            #expect(try await db.client.query("SELECT sum(open_claims)::int FROM claimer_load").decode(Int?.self).all() == [0])
        }
    }

    @Test func cancellingReturnsTheAmountAndAnOfferWithClaimsStaysUntilTheyEnd() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer(quantity: 5)
            let request = try await s.request(p.inside.id, quantity: 3)
            let claim = try await s.claim(request.id, offer.id, 3)
            let (refused, problem, _) = try await client.call(.post, "/v1/board/offers/\(offer.id)/withdraw", token: users[.gridWorker])
            #expect(
                refused == .conflict
                    && (problem["errors"] as? [[String: Any]])?.first?["reason"] as? String == "3 units are claimed; cancel those claims first",
                "\(problem)"
            )
            try await s.claim(request.id, offer.id, 1, expect: .conflict)  // the request needs nothing more
            let cancelled = try await s.act(claim.id, "cancel")
            #expect(cancelled["status"] as? String == "cancelled")
            try await s.act(claim.id, "deliver", expect: .conflict)
            #expect(try await client.call(.get, "/v1/board/offers/\(offer.id)", token: users[.gridWorker]).1["available"] as? Int == 5)
            #expect(
                try await client.call(.post, "/v1/board/offers/\(offer.id)/withdraw", token: users[.gridWorker]).1["status"] as? String == "withdrawn"
            )
            try await s.claim(request.id, offer.id, 1, expect: .conflict)
        }
    }
}

@Suite struct BoardSafetyTests {
    @Test func anExpiredItemIsNeverPostedMatchedClaimedOrHandedOut() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let (posted, problem, _) = try await client.call(
                .post,
                "/v1/board/offers",
                json: [
                    "boxId": s.box, "itemName": "过期感冒药", "category": "otc_medicine", "quantity": 3, "unit": "盒",
                    "expiresOn": SimpleDate.todayInChina().adding(days: -1).iso, "donorName": "李大爷",
                ],
                token: users[.gridWorker]
            )
            #expect(posted == .unprocessableContent && problem.field == "expiresOn")
            let a = try await s.offer(quantity: 4, expiresIn: 3)
            let b = try await s.offer(quantity: 4, expiresIn: 3)
            let request = try await s.request(p.inside.id, quantity: 4)
            let held = try await s.claim(request.id, a.id, 2)
            let carried = try await s.claim(request.id, b.id, 2)
            try await s.act(carried.id, "pick_up")
            // Both items pass their date.
            try await db.client.query("UPDATE board_offer SET expires_on = current_date - 1 WHERE id IN (\(a.id), \(b.id))")
            #expect(try await client.call(.get, "/v1/board/requests/\(request.id)/matches", token: users[.gridWorker]).1.items.isEmpty)
            let refused = try await s.act(carried.id, "deliver", expect: .conflict)
            #expect(
                (refused["errors"] as? [[String: Any]])?.first?["reason"] as? String
                    == "the item has expired: it is never handed out; cancel the claim"
            )
            let done = try await BoardReports(db).expire(today: SimpleDate.todayInChina(), logger: quiet)
            #expect(done.expiredOffers == 2 && done.lapsedClaims == 1)
            let lapsed = try await client.call(.get, "/v1/board/claims?open=false&requestId=\(request.id)", token: users[.gridWorker]).1.items
            #expect(lapsed.first { $0.id == held.id }?["cancelReason"] as? String == "the item expired")
            #expect(try await client.call(.get, "/v1/board/offers", token: users[.gridWorker]).1.items.isEmpty)
            let expired = try await client.call(.get, "/v1/board/offers/\(a.id)", token: users[.gridWorker]).1
            #expect(expired["status"] as? String == "expired" && expired["available"] as? Int == 4)
            // The lapsed claim gave its claimer's place under the cap back (the trigger board_claim_closed).
            #expect(
                try await db.client.query(
                    """
                    SELECT bool_and(l.open_claims = (SELECT count(*) FROM board_claim c WHERE c.claimed_by = l.user_id
                                                     AND c.status IN ('reserved', 'picked_up')))
                    FROM claimer_load l
                    """
                ).decode(Bool?.self).all() == [true]
            )
            // Running the clock again changes nothing.
            let again = try await BoardReports(db).expire(today: SimpleDate.todayInChina(), logger: quiet)
            #expect(again.expiredOffers == 0 && again.lapsedClaims == 0)
        }
    }

    @Test func aReservationNotPickedUpInTimeReturnsItsAmountAndItsPlaceUnderTheCap() async throws {
        try await withScopedAPI(config: boardConfig(cap: 1)) { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer(quantity: 3)
            let request = try await s.request(p.inside.id, quantity: 3)
            let first = try await s.claim(request.id, offer.id, 1)
            let capped = try await s.claim(request.id, offer.id, 1, expect: .conflict)
            #expect(
                (capped["errors"] as? [[String: Any]])?.first?["reason"] as? String
                    == "you already hold 1 open claims (the most one worker may); deliver or cancel one first"
            )
            try await db.client.query("UPDATE board_claim SET hold_until = now() - interval '1 minute' WHERE id = \(first.id)")
            let done = try await BoardReports(db).expire(today: SimpleDate.todayInChina(), logger: quiet)
            #expect(done.lapsedClaims == 1)
            let lapsed = try await client.call(.get, "/v1/board/claims?open=false", token: users[.gridWorker]).1.items.first { $0.id == first.id }
            #expect(lapsed?["cancelReason"] as? String == "not picked up in time")
            #expect(try await client.call(.get, "/v1/board/offers/\(offer.id)", token: users[.gridWorker]).1["available"] as? Int == 3)
            try await s.claim(request.id, offer.id, 1)
        }
    }

    @Test func prescriptionMedicineNeedsADoctorOnBothSides() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer("硝苯地平控释片", category: "prescription_medicine", quantity: 14)
            #expect(offer["needsApproval"] as? Bool == true)
            let request = try await s.request(p.inside.id, item: "硝苯地平", category: "prescription_medicine", quantity: 7)
            let (_, none, _) = try await client.call(.get, "/v1/board/requests/\(request.id)/matches", token: users[.gridWorker])
            #expect(none.items.isEmpty && (none["note"] as? String)?.contains("has not approved") == true)
            try await s.claim(request.id, offer.id, 7, expect: .conflict)
            // A nurse is not a doctor; a grid worker may not call approvals at all.
            let nurse = try await nurseToken(db, f)
            #expect(try await client.call(.post, "/v1/board/offers/\(offer.id)/approval", token: nurse).0 == .forbidden)
            #expect(try await client.call(.post, "/v1/board/requests/\(request.id)/approval", token: users[.gridWorker]).0 == .forbidden)
            #expect(try await client.call(.post, "/v1/board/offers/\(offer.id)/approval", token: users[.centreStaff]).0 == .ok)
            #expect(try await client.call(.get, "/v1/board/requests/\(request.id)/matches", token: users[.gridWorker]).1.items.isEmpty)
            #expect(try await client.call(.post, "/v1/board/requests/\(request.id)/approval", token: users[.centreStaff]).0 == .ok)
            let matched = try await client.call(.get, "/v1/board/requests/\(request.id)/matches", token: users[.gridWorker]).1.items
            #expect(matched.count == 1)
            try await s.claim(request.id, offer.id, 7)
            // An OTC request needs no approval and gets none.
            let otc = try await s.request(p.inside.id)
            #expect(try await client.call(.post, "/v1/board/requests/\(otc.id)/approval", token: users[.centreStaff]).0 == .unprocessableContent)
        }
    }

    @Test func aRequestIsSeenOnlyWhereItsResidentIs() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer()
            let request = try await s.request(p.inside.id)
            let other = try await Placed.otherGridWorker(db, f)
            let missing = try await client.raw(.get, "/v1/board/requests/999999", token: other)
            let foreign = try await client.raw(.get, "/v1/board/requests/\(request.id)", token: other)
            #expect(foreign.0 == .notFound && foreign.1 == missing.1)
            #expect(try await client.call(.get, "/v1/board/requests", token: other).1.items.isEmpty)
            #expect(
                try await client.call(
                    .post,
                    "/v1/board/claims",
                    json: ["requestId": request.id, "offerId": offer.id, "quantity": 1],
                    token: other
                ).0 == .unprocessableContent
            )
            // Offers are the district's: the other worker sees the offer, the manager too; no request for a foreign resident.
            #expect(try await client.call(.get, "/v1/board/offers/\(offer.id)", token: other).0 == .ok)
            let (foreignPost, problem, _) = try await client.call(
                .post,
                "/v1/board/requests",
                json: [
                    "residentId": p.outsideGrid.id, "category": "otc_medicine", "quantity": 1, "urgency": "routine", "reason": "x",
                ],
                token: users[.gridWorker]
            )
            #expect(foreignPost == .unprocessableContent && problem.field == "residentId")
        }
    }
}

@Suite struct BoardConcurrencyTests {
    @Test func aHundredClaimsForTenUnitsTakeExactlyTen() async throws {
        try await withScopedAPI(config: boardConfig(cap: 1000), poolSize: 12) { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer("口罩", category: "protective_supply", quantity: 10)
            // Ten requests, so racing claims do not all queue on one request's lock.
            var requests: [Int64] = []
            for _ in 0..<10 { requests.append(try await s.request(p.inside.id, item: nil, category: "protective_supply", quantity: 10).id) }
            let offerId = offer.id
            let requestIds = requests
            let tokens = [users[.gridWorker], users[.centreStaff], users[.admin]]
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for i in 0..<100 {
                    group.addTask {
                        let (status, body, _) = try await client.call(
                            .post,
                            "/v1/board/claims",
                            json: ["requestId": requestIds[i % 10], "offerId": offerId, "quantity": 1],
                            token: tokens[i % 3]
                        )
                        return (status, (body["errors"] as? [[String: Any]])?.first?["reason"] as? String)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.0 == .created }.count == 10)
            #expect(answers.filter { $0.0 == .conflict }.count == 90)
            #expect(answers.filter { $0.0 == .conflict }.allSatisfy { $0.1 == "only 0 粒 left" })
            let stock = try await db.client.query(
                """
                SELECT o.available, (SELECT sum(quantity) FROM board_claim WHERE offer_id = o.id)::int,
                       (SELECT sum(open_claims) FROM claimer_load)::int FROM board_offer o WHERE o.id = \(offerId)
                """
            ).decode((Int, Int, Int).self).all()
            #expect(stock.first?.0 == 0 && stock.first?.1 == 10 && stock.first?.2 == 10)
        }
    }

    @Test func aWorkerRacingPastTheCapHoldsNoMoreThanIt() async throws {
        try await withScopedAPI(config: boardConfig(cap: 2), poolSize: 8) { client, f, users, db in
            let p = try await Placed.make(db, f)
            let s = try await BoardSetup.make(client, f, users)
            let offer = try await s.offer("口罩", category: "protective_supply", quantity: 50)
            let request = try await s.request(p.inside.id, item: nil, category: "protective_supply", quantity: 20)
            let (offerId, requestId) = (offer.id, request.id)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await client.call(
                            .post,
                            "/v1/board/claims",
                            json: ["requestId": requestId, "offerId": offerId, "quantity": 1],
                            token: users[.gridWorker]
                        ).0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 2 && statuses.filter { $0 == .conflict }.count == 6)
            // The refused claims gave back every unit and cap place they touched.
            let state = try await db.client.query(
                """
                SELECT (SELECT available FROM board_offer WHERE id = \(offerId)), (SELECT open_claims FROM claimer_load WHERE user_id = \(users.ids[.gridWorker]!))
                """
            ).decode((Int, Int).self).all()
            #expect(state.first?.0 == 48 && state.first?.1 == 2)
        }
    }
}
