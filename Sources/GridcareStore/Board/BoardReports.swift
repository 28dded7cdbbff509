import Foundation
import GridcareCore
import Logging
import PostgresNIO

/// How the board is doing in one community.
public struct BoardCommunityFigures: Sendable, Equatable {
    public var communityId: Int64, communityName: String
    public var requests: Int, fulfilled: Int, fulfilledWithin24h: Int
    /// fulfilledWithin24h / requests; nil without requests.
    public var shareWithin24h: Double?
    public var offers: Int, unitsOffered: Int, unitsDelivered: Int
}

/// Who gave, claimed and delivered what.
public struct BoardPersonFigures: Sendable, Equatable {
    public var name: String, offers: Int, unitsGiven: Int, claims: Int, unitsDelivered: Int
}

public struct BoardReport: Sendable, Equatable {
    public var communities: [BoardCommunityFigures]
    /// Neighbours by the name they gave, with what they offered.
    public var donors: [BoardPersonFigures]
    /// Users who claimed and delivered.
    public var carriers: [BoardPersonFigures]
}

/// The board's report and its clock.
public struct BoardReports: Sendable {
    let db: Database
    var audit: AuditLog { AuditLog(db) }
    public init(_ db: Database) { self.db = db }

    /// Requests posted in [from, to) and offers posted then, per community (of the resident / of the box).
    public func report(districtId: Int64?, from: Date?, to: Date?, logger: Logger) async throws -> BoardReport {
        try await db.transaction(logger: logger) { conn in
            let communities = try await conn.rows(
                """
                WITH req AS (
                    SELECT g.parent_id AS community_id, q.status, q.posted_at, q.fulfilled_at
                    FROM board_request q JOIN area m ON m.id = q.micro_grid_id JOIN area g ON g.id = m.parent_id
                    WHERE (\(districtId)::bigint IS NULL OR q.district_id = \(districtId))
                      AND (\(from)::timestamptz IS NULL OR q.posted_at >= \(from)) AND (\(to)::timestamptz IS NULL OR q.posted_at < \(to))
                ), off AS (
                    SELECT b.community_id, o.quantity, (SELECT coalesce(sum(c.quantity), 0) FROM board_claim c
                                                         WHERE c.offer_id = o.id AND c.status = 'delivered')::int AS delivered
                    FROM board_offer o JOIN medicine_box b ON b.id = o.box_id
                    WHERE (\(districtId)::bigint IS NULL OR o.district_id = \(districtId))
                      AND (\(from)::timestamptz IS NULL OR o.posted_at >= \(from)) AND (\(to)::timestamptz IS NULL OR o.posted_at < \(to))
                ), ids AS (SELECT community_id FROM req UNION SELECT community_id FROM off)
                SELECT a.id, a.name,
                       (SELECT count(*) FROM req WHERE req.community_id = a.id)::int AS requests,
                       (SELECT count(*) FROM req WHERE req.community_id = a.id AND req.status = 'fulfilled')::int AS fulfilled,
                       (SELECT count(*) FROM req WHERE req.community_id = a.id AND req.fulfilled_at <= req.posted_at + interval '24 hours')::int
                         AS within_24h,
                       (SELECT count(*) FROM off WHERE off.community_id = a.id)::int AS offers,
                       (SELECT coalesce(sum(quantity), 0) FROM off WHERE off.community_id = a.id)::int AS units_offered,
                       (SELECT coalesce(sum(delivered), 0) FROM off WHERE off.community_id = a.id)::int AS units_delivered
                FROM ids JOIN area a ON a.id = ids.community_id ORDER BY a.name, a.id
                """,
                logger: logger
            ) { c in
                let requests: Int = try c("requests")
                let within24h: Int = try c("within_24h")
                return BoardCommunityFigures(
                    communityId: try c("id"),
                    communityName: try c("name"),
                    requests: requests,
                    fulfilled: try c("fulfilled"),
                    fulfilledWithin24h: within24h,
                    shareWithin24h: requests == 0 ? nil : Double(within24h) / Double(requests),
                    offers: try c("offers"),
                    unitsOffered: try c("units_offered"),
                    unitsDelivered: try c("units_delivered")
                )
            }
            let donors = try await conn.rows(
                """
                SELECT o.donor_name, count(*)::int, sum(o.quantity)::int FROM board_offer o
                WHERE (\(districtId)::bigint IS NULL OR o.district_id = \(districtId))
                  AND (\(from)::timestamptz IS NULL OR o.posted_at >= \(from)) AND (\(to)::timestamptz IS NULL OR o.posted_at < \(to))
                GROUP BY o.donor_name ORDER BY 3 DESC, 1 LIMIT 100
                """,
                as: (String, Int, Int).self,
                logger: logger
            ).map {
                BoardPersonFigures(name: $0.0, offers: $0.1, unitsGiven: $0.2, claims: 0, unitsDelivered: 0)
            }
            let carriers = try await conn.rows(
                """
                SELECT u.username, count(*)::int, coalesce(sum(c.quantity) FILTER (WHERE c.status = 'delivered'), 0)::int
                FROM board_claim c JOIN app_user u ON u.id = c.claimed_by
                WHERE (\(districtId)::bigint IS NULL OR c.district_id = \(districtId))
                  AND (\(from)::timestamptz IS NULL OR c.reserved_at >= \(from)) AND (\(to)::timestamptz IS NULL OR c.reserved_at < \(to))
                GROUP BY u.username ORDER BY 3 DESC, 1 LIMIT 100
                """,
                as: (String, Int, Int).self,
                logger: logger
            ).map {
                BoardPersonFigures(name: $0.0, offers: 0, unitsGiven: 0, claims: $0.1, unitsDelivered: $0.2)
            }
            try await audit.record(.read, detail: "board report", on: conn, logger: logger)
            return BoardReport(communities: communities, donors: donors, carriers: carriers)
        }
    }

    /// Runs the board's clock (gridcare_board_expire): expired offers leave, lapsed reservations return.
    public func expire(today: SimpleDate, logger: Logger) async throws -> (expiredOffers: Int, lapsedClaims: Int) {
        try await db.transaction(logger: logger) { conn in
            try await conn.first(
                "SELECT expired_offers, lapsed_claims FROM gridcare_board_expire(\(today)::date)",
                as: (Int, Int).self,
                logger: logger
            )!
        }
    }
}
