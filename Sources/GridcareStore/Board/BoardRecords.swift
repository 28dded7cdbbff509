import Foundation
import GridcareCore
import PostgresNIO

/// A medicine box or relay point at a community or micro-grid, with its custodian.
public struct MedicineBox: Sendable, Equatable {
    public var id: Int64, areaId: Int64, communityId: Int64, gridId: Int64?, microGridId: Int64?
    public var kind: String, name: String, place: String?, custodianId: Int64, custodianName: String, active: Bool

    static let select = """
        SELECT b.id, b.area_id, b.community_id, b.grid_id, b.micro_grid_id, b.kind::text, b.name, b.place, b.custodian_id, w.name AS custodian_name, b.active
        FROM medicine_box b JOIN worker w ON w.id = b.custodian_id
        """
    init(_ c: Columns) throws {
        id = try c("id")
        areaId = try c("area_id")
        communityId = try c("community_id")
        gridId = try c("grid_id")
        microGridId = try c("micro_grid_id")
        kind = try c("kind")
        name = try c("name")
        place = try c("place")
        custodianId = try c("custodian_id")
        custodianName = try c("custodian_name")
        active = try c("active")
    }
}

/// Something a neighbour gives: so many units at a box until an expiry date.
public struct Offer: Sendable, Equatable {
    public var id: Int64, boxId: Int64, boxName: String, microGridId: Int64?, communityId: Int64
    public var itemName: String, category: BoardCategory, quantity: Int, available: Int, unit: String, expiresOn: SimpleDate
    public var donorName: String, note: String?, status: String
    public var approvedBy: Int64?, approvedAt: Date?, postedBy: Int64, postedAt: Date, version: Int

    static let columns = """
        o.id, o.box_id, b.name AS box_name, b.micro_grid_id, b.community_id, o.item_name, o.category::text, o.quantity, o.available,
        o.unit, to_char(o.expires_on, 'YYYY-MM-DD') AS expires_on, o.donor_name, o.note, o.status::text, o.approved_by, o.approved_at,
        o.posted_by, o.posted_at, o.version
        """
    static let from = "FROM board_offer o JOIN medicine_box b ON b.id = o.box_id"
    static let select = "SELECT \(columns) \(from)"
    init(row: PostgresRow) throws {
        let v = Columns(row)
        id = try v("id")
        boxId = try v("box_id")
        boxName = try v("box_name")
        microGridId = try v("micro_grid_id")
        communityId = try v("community_id")
        itemName = try v("item_name")
        category = BoardCategory(rawValue: try v("category"))!
        quantity = try v("quantity")
        available = try v("available")
        unit = try v("unit")
        expiresOn = SimpleDate(iso: try v("expires_on"))!
        donorName = try v("donor_name")
        note = try v("note")
        status = try v("status")
        approvedBy = try v("approved_by")
        approvedAt = try v("approved_at")
        postedBy = try v("posted_by")
        postedAt = try v("posted_at")
        version = try v("version")
    }
}

/// What a resident needs, posted by their grid worker or clinic staff.
public struct BoardRequest: Sendable, Equatable {
    public var id: Int64, residentId: Int64, residentName: String, microGridId: Int64
    public var itemName: String?, category: BoardCategory, quantity: Int, delivered: Int
    /// Units held by open claims (reserved or picked up).
    public var claimed: Int
    public var urgency: BoardUrgency, reason: String, status: String
    public var approvedBy: Int64?, approvedAt: Date?, postedBy: Int64, postedAt: Date, fulfilledAt: Date?, cancelledAt: Date?, version: Int

    /// Units nobody has delivered or is carrying yet.
    public var outstanding: Int { max(0, quantity - delivered - claimed) }

    /// Why nothing can be claimed for the request now, or nil when it can be.
    public enum ClaimBlock: Sendable, Equatable {
        case notOpen(String)
        case nothingOutstanding
        /// Prescription medicine waits for a doctor of the resident's team to approve the request.
        case awaitingDoctor
    }

    public var claimBlock: ClaimBlock? {
        if status != "open" { return .notOpen(status) }
        if outstanding == 0 { return .nothingOutstanding }
        if category.needsDoctor, approvedBy == nil { return .awaitingDoctor }
        return nil
    }

    static let select = """
        SELECT q.id, q.resident_id, p.name AS resident_name, q.micro_grid_id, q.item_name, q.category::text, q.quantity, q.delivered,
               (SELECT coalesce(sum(c.quantity), 0)::int FROM board_claim c WHERE c.request_id = q.id AND c.status IN ('reserved', 'picked_up')) AS claimed,
               q.urgency::text, q.reason, q.status::text, q.approved_by, q.approved_at, q.posted_by, q.posted_at, q.fulfilled_at, q.cancelled_at,
               q.version
        FROM board_request q JOIN resident p ON p.id = q.resident_id
        """
    init(row: PostgresRow) throws {
        let v = Columns(row)
        id = try v("id")
        residentId = try v("resident_id")
        residentName = try v("resident_name")
        microGridId = try v("micro_grid_id")
        itemName = try v("item_name")
        category = BoardCategory(rawValue: try v("category"))!
        quantity = try v("quantity")
        delivered = try v("delivered")
        claimed = try v("claimed")
        urgency = BoardUrgency(rawValue: try v("urgency"))!
        reason = try v("reason")
        status = try v("status")
        approvedBy = try v("approved_by")
        approvedAt = try v("approved_at")
        postedBy = try v("posted_by")
        postedAt = try v("posted_at")
        fulfilledAt = try v("fulfilled_at")
        cancelledAt = try v("cancelled_at")
        version = try v("version")
    }
}

/// An amount of an offer reserved for a request, on its way from the box to the resident.
public struct Claim: Sendable, Equatable {
    public var id: Int64, offerId: Int64, itemName: String, unit: String, requestId: Int64, residentId: Int64, residentName: String
    public var quantity: Int, status: ClaimStatus, claimedBy: Int64, reservedAt: Date, holdUntil: Date
    public var pickedUpBy: Int64?, pickedUpAt: Date?, deliveredBy: Int64?, deliveredAt: Date?
    public var cancelledBy: Int64?, cancelledAt: Date?, cancelReason: String?, version: Int

    static let select = """
        SELECT c.id, c.offer_id, o.item_name, o.unit, c.request_id, c.resident_id, p.name AS resident_name, c.quantity, c.status::text,
               c.claimed_by, c.reserved_at, c.hold_until, c.picked_up_by, c.picked_up_at, c.delivered_by, c.delivered_at, c.cancelled_by,
               c.cancelled_at, c.cancel_reason, c.version
        FROM board_claim c JOIN board_offer o ON o.id = c.offer_id JOIN resident p ON p.id = c.resident_id
        """
    init(row: PostgresRow) throws {
        let v = Columns(row)
        id = try v("id")
        offerId = try v("offer_id")
        itemName = try v("item_name")
        unit = try v("unit")
        requestId = try v("request_id")
        residentId = try v("resident_id")
        residentName = try v("resident_name")
        quantity = try v("quantity")
        status = ClaimStatus(rawValue: try v("status"))!
        claimedBy = try v("claimed_by")
        reservedAt = try v("reserved_at")
        holdUntil = try v("hold_until")
        pickedUpBy = try v("picked_up_by")
        pickedUpAt = try v("picked_up_at")
        deliveredBy = try v("delivered_by")
        deliveredAt = try v("delivered_at")
        cancelledBy = try v("cancelled_by")
        cancelledAt = try v("cancelled_at")
        cancelReason = try v("cancel_reason")
        version = try v("version")
    }
}

extension PostgresConnection {
    /// Every row of `query`, each made into a record by `make`.
    func records<T>(_ query: PostgresQuery, logger: Logger, _ make: (PostgresRow) throws -> T) async throws -> [T] {
        try await self.query(query, logger: logger).collect().map(make)
    }
}
