import Foundation
import GridcareCore
import Logging

/// A medicine box for a demo district: a relay point in the demo grid worker's first micro-grid with a few
/// neighbours' offers (one expiring soon, one prescription item awaiting a doctor) and two requests, one
/// already delivered — written through the real stores as the demo doctor and grid worker.
public enum DemoBoard {
    public static func seed(
        doctorId: Int64,
        gridWorkerId: Int64,
        custodianWorkerId: Int64,
        rules: BoardRules,
        today: SimpleDate,
        db: Database,
        logger: Logger
    ) async throws -> Int {
        try await DemoActors.acting(as: [doctorId, gridWorkerId], db: db, logger: logger) { actors in
            let worker = actors[1]
            guard let microGrid = worker.scope?.microGridIds?.first else { return 0 }
            let box = try await BoardStore(actors[0], rules: rules).createBox(
                areaId: microGrid,
                kind: "relay_point",
                name: "卫生站共享药箱",
                place: "村卫生室二号柜",
                custodianId: custodianWorkerId,
                logger: logger
            )
            let board = BoardStore(worker, rules: rules)
            let offers = [
                ("布洛芬缓释胶囊", BoardCategory.otcMedicine, 20, "粒", 200, "3栋王阿姨"), ("新冠抗原检测试剂", .testKit, 10, "人份", 20, "李家"),
                ("医用外科口罩", .protectiveSupply, 50, "只", 500, "社区志愿者"), ("电子体温计", .device, 2, "支", 1000, "张大爷"),
                ("硝苯地平控释片", .prescriptionMedicine, 14, "片", 150, "5栋刘叔"),
            ]
            var posted: [Offer] = []
            for o in offers {
                posted.append(
                    try await board.postOffer(
                        .init(
                            boxId: box.id,
                            itemName: o.0,
                            category: o.1,
                            quantity: o.2,
                            unit: o.3,
                            expiresOn: today.adding(days: o.4),
                            donorName: o.5,
                            note: nil
                        ),
                        today: today,
                        logger: logger
                    )
                )
            }
            let residents = try await worker.rows(
                "SELECT id FROM resident WHERE micro_grid_id = \(microGrid) ORDER BY id LIMIT 2",
                as: Int64.self,
                logger: logger
            )
            guard residents.count == 2 else { return posted.count }
            let requests = BoardRequestStore(worker, rules: rules)
            let claims = ClaimStore(worker, rules: rules)
            let fever = try await requests.post(
                .init(
                    residentId: residents[0],
                    itemName: "布洛芬",
                    category: .otcMedicine,
                    quantity: 6,
                    urgency: .urgent,
                    reason: "发热 38.6℃，家中无退烧药"
                ),
                logger: logger
            )
            let claim = try await claims.claim(requestId: fever.id, offerId: posted[0].id, quantity: 6, today: today, logger: logger)
            _ = try await claims.act(claim.id, .pickUp, today: today, ifVersion: nil, logger: logger)
            _ = try await claims.act(claim.id, .deliver, today: today, ifVersion: nil, logger: logger)
            _ = try await requests.post(
                .init(
                    residentId: residents[1],
                    itemName: "抗原",
                    category: .testKit,
                    quantity: 2,
                    urgency: .routine,
                    reason: "家中老人咳嗽，想自测"
                ),
                logger: logger
            )
            return posted.count
        }
    }
}
