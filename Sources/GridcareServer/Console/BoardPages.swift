import Foundation
import GridcareCore
import GridcareStore
import Hummingbird

/// 共享药箱 for grid workers: their residents' requests, the offers that could fill one (nearest box
/// first), claiming an amount, and the claims they carry from pick-up to delivery.
extension Console {
    func registerBoardPages(on router: Router<GridcareRequestContext>) {
        router.get("/app/board", use: page("listBoardRequests") { r in try await boardPage(r) })
        router.get("/app/board/requests/:id", use: page("matchBoardRequest") { r in try await requestPage(r) })
        router.post("/app/board/requests/:id/claims", use: page("createClaim") { r in try await claim(r) })
        router.post("/app/claims/:id", use: page("actOnClaim") { r in try await actOnClaim(r) })
        router.post("/app/r/:id/board-requests", use: page("postBoardRequest") { r in try await postBoardRequest(r) })
    }

    func boardPage(_ r: ConsoleRequest) async throws -> Response {
        let requests = try await BoardRequestStore(r.db, rules: config.boardRules).list(
            .init(openOnly: true),
            page: try PageRequest(cursor: nil, limit: 100),
            logger: r.logger
        )
        let claims = try await ClaimStore(r.db, rules: config.boardRules).list(
            openOnly: true,
            claimedBy: r.caller.scope.userId,
            requestId: nil,
            page: try PageRequest(cursor: nil, limit: 100),
            logger: r.logger
        )
        var values: [String: Any] = [
            "requests": requests.items.map(Views.boardRequest), "hasRequests": !requests.items.isEmpty,
            "claims": claims.items.map(Views.claim), "hasClaims": !claims.items.isEmpty,
        ]
        if let done = r.query["done"] {
            values["done"] = ["claimed": "已认领，请到药箱取药。", "pick_up": "已取药。", "deliver": "已送达居民。", "cancel": "已取消认领。", "posted": "已发布求助。"][done] ?? ""
        }
        return render("board", title: "共享药箱", caller: r.caller, values)
    }

    func requestPage(_ r: ConsoleRequest) async throws -> Response {
        let (request, matches) = try await BoardRequestStore(r.db, rules: config.boardRules).matches(
            try r.id(),
            today: SimpleDate.todayInChina(),
            logger: r.logger
        )
        let block: String? =
            switch request.claimBlock {
            case .notOpen: "该求助已结束。"
            case .nothingOutstanding: "所需数量都已有人认领。"
            case .awaitingDoctor: "处方药：需居民所在团队的医生先批准。"
            case nil: nil
            }
        return render(
            "board-request",
            title: "求助",
            caller: r.caller,
            [
                "request": Views.boardRequest(request), "block": block ?? "", "requestId": request.id,
                "offers": matches.map { m in
                    [
                        "offerId": m.offer.id, "item": m.offer.itemName, "box": m.offer.boxName, "available": m.offer.available,
                        "unit": m.offer.unit, "expires": m.offer.expiresOn.iso, "near": Labels.proximity(m.proximity),
                        "take": min(m.offer.available, request.outstanding),
                    ] as [String: Any]
                },
                "mayClaim": block == nil && !matches.isEmpty,
            ]
        )
    }

    func claim(_ r: ConsoleRequest) async throws -> Response {
        guard let offer = r.form["offerId"].flatMap(Int64.init) else { throw FieldError("offerId", "请选择药品") }
        guard let quantity = try r.form.int("quantity") else { throw FieldError("quantity", "请填写数量") }
        _ = try await ClaimStore(r.db, rules: config.boardRules).claim(
            requestId: try r.id(),
            offerId: offer,
            quantity: quantity,
            today: SimpleDate.todayInChina(),
            logger: r.logger
        )
        return .redirect(to: "/app/board?done=claimed")
    }

    func actOnClaim(_ r: ConsoleRequest) async throws -> Response {
        guard let action = r.form["action"].flatMap(ClaimStatus.Action.init(rawValue:)) else { throw FieldError("action", "请选择操作") }
        _ = try await ClaimStore(r.db, rules: config.boardRules).act(
            try r.id(),
            action,
            today: SimpleDate.todayInChina(),
            ifVersion: nil,
            logger: r.logger
        )
        return .redirect(to: "/app/board?done=\(action.rawValue)")
    }

    func postBoardRequest(_ r: ConsoleRequest) async throws -> Response {
        let id = try r.id()
        guard let category = r.form["category"].flatMap(BoardCategory.init(rawValue:)) else { throw FieldError("category", "请选择类别") }
        _ = try await BoardRequestStore(r.db, rules: config.boardRules).post(
            .init(
                residentId: id,
                itemName: r.form["itemName"],
                category: category,
                quantity: try r.form.int("quantity") ?? 1,
                urgency: r.form["urgency"].flatMap(BoardUrgency.init(rawValue:)) ?? .routine,
                reason: r.form["reason"] ?? ""
            ),
            logger: r.logger
        )
        return .redirect(to: "/app/board?done=posted")
    }
}

extension Views {
    static func boardRequest(_ q: BoardRequest) -> [String: Any] {
        [
            "id": q.id, "residentId": q.residentId, "name": q.residentName, "item": q.itemName ?? Labels.boardCategory(q.category),
            "quantity": q.quantity, "delivered": q.delivered, "claimed": q.claimed, "outstanding": q.outstanding,
            "urgent": q.urgency == .urgent, "reason": q.reason, "postedAt": time(q.postedAt),
        ]
    }

    static func claim(_ c: Claim) -> [String: Any] {
        let moves = c.status.moves.map(\.action)
        return [
            "id": c.id, "item": c.itemName, "quantity": c.quantity, "unit": c.unit, "name": c.residentName, "residentId": c.residentId,
            "status": Labels.claim(c.status), "holdUntil": time(c.holdUntil),
            "mayPickUp": moves.contains(.pickUp), "mayDeliver": moves.contains(.deliver), "mayCancel": moves.contains(.cancel),
        ]
    }
}

extension Labels {
    static func boardCategory(_ c: BoardCategory) -> String {
        switch c {
        case .otcMedicine: "非处方药"
        case .prescriptionMedicine: "处方药"
        case .testKit: "检测试剂"
        case .protectiveSupply: "防护用品"
        case .device: "医疗器械"
        }
    }

    static func proximity(_ p: Proximity) -> String {
        switch p {
        case .sameMicroGrid: "本微网格"
        case .sameGrid: "本网格"
        case .sameCommunity: "本社区"
        case .district: "本区"
        }
    }

    static func claim(_ s: ClaimStatus) -> String {
        switch s {
        case .reserved: "已认领待取"
        case .pickedUp: "已取药待送"
        case .delivered: "已送达"
        case .cancelled: "已取消"
        }
    }
}
