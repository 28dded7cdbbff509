/// The one place that says which roles may call each operation of openapi.yaml. An operation missing
/// here is refused to everyone (and a test fails), so a new endpoint is never born open.
public enum AccessRules {
    /// Operations that answer without a token.
    public static let anonymous: Set<String> = ["health", "signIn"]

    static let everyone = Set(Role.allCases)
    static let readers: Set<Role> = [.admin, .centreStaff, .gridWorker, .districtManager]
    static let fieldStaff: Set<Role> = [.admin, .centreStaff, .gridWorker]
    static let clinicians: Set<Role> = [.admin, .centreStaff]
    static let adminOnly: Set<Role> = [.admin]
    /// Health records of named people: the people who care for them, not the district's statisticians.
    static let carers: Set<Role> = [.admin, .centreStaff, .gridWorker]
    static let referralParties: Set<Role> = [.admin, .centreStaff, .hospitalStaff]

    /// operationId → the roles that may call it.
    public static let roles: [String: Set<Role>] = [
        "signOut": everyone, "whoAmI": everyone,
        // Each user's own inbox (row-level security shows nobody another's).
        "listNotifications": everyone, "markNotificationRead": everyone, "markAllNotificationsRead": everyone,
        "getNotificationChannels": everyone, "setNotificationChannels": everyone,
        // The administrative map and facilities are public knowledge within a district.
        "listAreas": everyone, "getArea": everyone, "listFacilities": everyone, "getFacility": everyone,
        "createArea": adminOnly, "updateArea": adminOnly, "createFacility": adminOnly, "updateFacility": adminOnly,
        "listWorkers": readers, "getWorker": readers, "createWorker": adminOnly, "updateWorker": adminOnly,
        // Grid workers register households and residents of their own micro-grids.
        "listHouseholds": readers, "getHousehold": readers, "getHouseholdByCode": readers,
        "createHousehold": fieldStaff, "updateHousehold": fieldStaff,
        "listResidents": readers, "getResident": readers, "checkIdNumber": fieldStaff,
        "createResident": fieldStaff, "updateResident": fieldStaff,
        // Held registrations name people of other districts: only a deployment administrator sees them.
        "listRegistrationReviews": adminOnly, "decideRegistrationReview": adminOnly,
        "listCareTeams": readers, "getCareTeam": readers,
        // Centre staff manage their own centre's teams (TeamStore checks the centre); administrators any.
        "createCareTeam": clinicians, "updateCareTeam": clinicians, "addCatchment": clinicians, "removeCatchment": clinicians,
        "listContracts": readers, "getContract": readers,
        "signContract": clinicians, "renewContract": clinicians, "switchContract": clinicians, "endContract": clinicians,
        "coverageReport": [.admin, .centreStaff, .districtManager],
        "listAuditEvents": adminOnly,
        // The daily loop: grid workers notice, doctors confirm and treat.
        "listFlags": carers, "getFlag": carers, "raiseFlag": [.admin, .gridWorker],
        "decideFlag": clinicians, "closeFlag": carers,
        "getCaseSheet": carers, "recordService": carers, "recordReading": clinicians,
        "listAlerts": carers, "acknowledgeAlert": carers, "closeAlert": carers,
        "listDueVisits": carers, "myResidents": carers,
        // Clinics are public within the district; booking is for the people who look after residents.
        // Who defines a clinic makes its sessions (the service's clock keeps them made ahead too).
        "listClinics": readers, "createClinic": clinicians, "generateClinicSessions": clinicians, "listSessions": readers,
        "listBookings": carers, "bookSession": carers, "changeBooking": carers, "listCalls": carers,
        "sessionInvitations": carers, "sessionFHIR": carers,
        // Referral slips: the doctor team writes them, the hospital they are addressed to works them;
        // district managers read the loop's figures, not the slips.
        "createReferral": clinicians, "listReferrals": referralParties, "getReferral": referralParties,
        "actOnReferral": referralParties, "referralSlip": referralParties, "referralFHIR": referralParties,
        "listOverdueReferrals": referralParties, "referralReport": [.admin, .centreStaff, .hospitalStaff, .districtManager],
        // The medicine-box board: offers are the district's; requests name residents, so they are their carers'.
        "listBoxes": readers, "createBox": clinicians, "listOffers": readers, "getOffer": readers,
        "postOffer": carers, "withdrawOffer": carers, "approveOffer": clinicians,
        "listBoardRequests": carers, "postBoardRequest": carers, "getBoardRequest": carers, "approveBoardRequest": clinicians,
        "cancelBoardRequest": carers, "matchBoardRequest": carers, "boardView": carers,
        "listClaims": carers, "createClaim": carers, "actOnClaim": carers, "boardReport": [.admin, .centreStaff, .districtManager],
        // Rounds are the doctor team's; grid workers know when residents are in.
        "planRounds": clinicians, "getRoundsPlan": clinicians, "roundsCalendar": clinicians, "markPlannedVisit": clinicians,
        "setAvailability": carers, "listLeave": clinicians, "addLeave": clinicians, "setRoundsDays": clinicians,
        "mobilisationReport": [.admin, .centreStaff, .districtManager],
        // The district's dashboard: aggregates for the people who run the district, not a record of anyone.
        "indicatorReport": [.admin, .districtManager],
        // Records for the regional platform, from the people who keep them: row-level security narrows
        // centre staff to their centre's micro-grids.
        "fhirExport": clinicians, "fhirExportStatus": clinicians, "fhirExportFile": clinicians,
    ]

    /// Within recordService: grid workers record welfare visits; clinical services are the doctor team's.
    public static func mayRecord(_ visit: VisitKind?, as role: Role?) -> Bool { role != .gridWorker || visit == .welfareVisit }

    /// Within changeBooking: grid workers may cancel; the clinic checks residents in and completes visits.
    public static func mayChangeBooking(_ action: BookingStatus.Action, as role: Role?) -> Bool { role != .gridWorker || action == .cancel }

    /// Within actOnReferral: each party moves only its own steps of the slip; an administrator any.
    public static func mayActOnReferral(_ action: ReferralStatus.Action, as role: Role?) -> Bool {
        switch role {
        case .admin: true
        case .centreStaff: action.party == .team
        case .hospitalStaff: action.party == .hospital
        default: false
        }
    }

    /// Within actOnClaim: a delivery is confirmed by the recipient's grid worker (scope makes it theirs).
    public static func mayConfirmDelivery(as role: Role?) -> Bool { role == .gridWorker || role == .admin }

    /// Who sees a resident's whole identity number and birth date (README, "Who sees what"): the clinical
    /// staff of the resident's own team, whose records, insurance and referrals need it. Everyone else sees
    /// the masked number and the birth year. Lists never show it; each full view is audited as a reveal.
    public static func mayRevealIdentity(as role: Role, ofOwnTeam: Bool) -> Bool { role == .centreStaff && ofOwnTeam }

    /// On a referral slip: the receiving hospital once it has received the slip and until it discharges the
    /// patient (the admission needs the number), and the patient's own team.
    public static func mayRevealOnSlip(as role: Role, status: ReferralStatus, ofOwnTeam: Bool) -> Bool {
        switch role {
        case .hospitalStaff: [.received, .accepted, .admitted].contains(status)
        case .centreStaff: ofOwnTeam
        default: false
        }
    }

    /// Whether `role` may call `operation`; false for an operation without a rule.
    public static func allows(_ role: Role, _ operation: String) -> Bool {
        roles[operation]?.contains(role) ?? false
    }

    // MARK: Owners
    // Each action on a record has an owner. The role matrix above says who may call an operation; these
    // say who may do it to one record they can see. The stores apply them to the row they locked, in the
    // transaction that changes it; everyone else who sees the record is answered 403 (a record they cannot
    // see stays 404). A centre's rounds plans, planned visits and leave are the centre's own, which the
    // database decides (0022_centre_rounds.sql: gridcare_scope_centre), so the others meet them as 404.

    /// withdrawOffer: who posted the offer, or an administrator.
    public static func mayWithdrawOffer(postedBy: Int64, caller: Int64, role: Role?) -> Bool {
        role == .admin || postedBy == caller
    }

    /// actOnClaim: who claimed carries it (picks it up) or cancels it, or an administrator; the delivery is
    /// confirmed by the recipient's grid worker (`mayConfirmDelivery`), who may be the carrier.
    public static func mayActOnClaim(_ action: ClaimStatus.Action, claimedBy: Int64, caller: Int64, role: Role?) -> Bool {
        switch action {
        case .pickUp, .cancel: role == .admin || claimedBy == caller
        case .deliver: mayConfirmDelivery(as: role)
        }
    }

    /// Within actOnReferral, after the party: only a doctor of the team that wrote the slip sends, closes or
    /// cancels it (writing one is theirs too), or an administrator; the team's other steps (follow-up) are
    /// any of its centre's staff who see it.
    public static func mayActOnReferral(_ action: ReferralStatus.Action, as role: Role?, isDoctorOfSlipTeam: Bool) -> Bool {
        guard mayActOnReferral(action, as: role) else { return false }
        switch action {
        case .send, .close, .cancel: return role == .admin || isDoctorOfSlipTeam
        default: return true
        }
    }
}
