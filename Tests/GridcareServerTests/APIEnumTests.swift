import Foundation
import GridcareAPI
import GridcareCore
import GridcareRouting
import Testing

/// The API's enum schemas are the Core types themselves (typeOverrides in openapi-generator-config.yaml),
/// so the document must list exactly the cases the type decodes: a case added on one side only fails here.
@Suite struct APIEnumTests {
    /// `enum: [...]` of the component schema `name`, read from the served document.
    static func values(of name: String, in document: String) -> [String]? {
        guard let start = document.range(of: "\n    \(name):\n") else { return nil }
        let rest = document[start.upperBound...].prefix(600)
        guard let line = rest.split(separator: "\n").prefix(4).first(where: { $0.contains("enum: [") }),
            let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]")
        else { return nil }
        return line[line.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func cases<T: CaseIterable & RawRepresentable>(_: T.Type) -> [String] where T.RawValue == String { T.allCases.map(\.rawValue) }

    @Test func everyOverriddenSchemaListsExactlyTheCoreTypesCases() throws {
        let document = String(decoding: try OpenAPIDocument.yaml(), as: UTF8.self)
        let expected: [String: [String]] = [
            "Role": Self.cases(Role.self), "AreaLevel": Self.cases(AreaLevel.self), "FacilityKind": Self.cases(FacilityKind.self),
            "WorkerRole": Self.cases(WorkerRole.self), "Sex": Self.cases(Sex.self), "Condition": Self.cases(Condition.self),
            "Circumstance": Self.cases(Circumstance.self), "TeamRole": Self.cases(TeamRole.self),
            "ContractEndReason": Self.cases(ContractEndReason.self), "FlagCategory": Self.cases(FlagCategory.self),
            "Tier": Self.cases(Tier.self), "FlagStatus": Self.cases(FlagStatus.self), "ServiceKind": Self.cases(ServiceKind.self),
            "VisitKind": Self.cases(VisitKind.self), "ReferralStatus": Self.cases(ReferralStatus.self),
            "ReferralUrgency": Self.cases(ReferralUrgency.self), "ReferralAction": Self.cases(ReferralStatus.Action.self),
            "BoardCategory": Self.cases(BoardCategory.self), "MobilisationKind": Self.cases(MobilisationKind.self),
            "Population": Self.cases(Population.self), "AlertStatus": Self.cases(AlertStatus.self), "DueRule": Self.cases(DueRule.self),
            "BookingAction": Self.cases(BookingStatus.Action.self), "BookingStatus": Self.cases(BookingStatus.self),
            "BoardUrgency": Self.cases(BoardUrgency.self), "ClaimAction": Self.cases(ClaimStatus.Action.self),
            "ClaimStatus": Self.cases(ClaimStatus.self), "PlannedVisitStatus": Self.cases(PlannedVisitStatus.self),
            "PlannedVisitAction": Self.cases(PlannedVisitStatus.Action.self), "SessionStatus": Self.cases(SessionStatus.self),
        ]
        for (schema, cases) in expected {
            let listed = Self.values(of: schema, in: document)
            #expect(listed != nil, "no enum schema \(schema)")
            #expect(Set(listed ?? []) == Set(cases), "\(schema): the document lists \(listed ?? []), the type has \(cases)")
        }
        // And the generated schema is the Core type, not a copy of it.
        #expect(Components.Schemas.WorkerRole.self == WorkerRole.self && Components.Schemas.ReferralAction.self == ReferralStatus.Action.self)
    }
}
