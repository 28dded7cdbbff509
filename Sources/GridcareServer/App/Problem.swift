import Foundation
import GridcareCore
import GridcareStore
import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import PostgresNIO

/// An RFC 9457 problem: the one shape every error leaves the service in.
public struct Problem: Error, Sendable, Codable, Equatable {
    public struct Item: Sendable, Codable, Equatable {
        public var field: String
        public var reason: String
    }

    public var type: String
    public var title: String
    public var status: Int
    public var detail: String?
    public var field: String?
    /// With a 409 from a state machine: the actions that may come next.
    public var allowed: [String]?
    public var errors: [Item]?
    /// With a 429 (or 503): the seconds a client should wait, sent as `Retry-After`, not in the body.
    public var retryAfter: Int? = nil

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, field, allowed, errors
    }

    public init(status: HTTPResponse.Status, detail: String? = nil, errors: [FieldError] = [], retryAfter: Int? = nil) {
        self.retryAfter = retryAfter
        self.type = "https://gridcare.example/problems/\(status.code)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.field = errors.first?.field
        self.errors = errors.isEmpty ? nil : errors.map { Item(field: $0.field, reason: $0.reason) }
    }

    static func notFound(_ what: String = "resource") -> Problem {
        Problem(status: .notFound, detail: "No such \(what).")
    }
}

extension Problem {
    /// Maps any error a handler or the runtime throws to the problem a client sees. Driver messages never
    /// reach clients; constraint names are translated to the API's field names.
    static func from(_ error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let failure as ValidationFailure:
            return Problem(status: .unprocessableContent, detail: "The request has invalid fields.", errors: failure.errors)
        case let field as FieldError:
            return Problem(status: .unprocessableContent, detail: "The request has an invalid field.", errors: [field])
        case StoreError.notFound(let what):
            return .notFound(what)
        case let refused as TransitionError:
            var problem = Problem(
                status: .conflict,
                detail: "The \(refused.noun)'s state does not allow this action.",
                errors: [FieldError("action", refused.description)]
            )
            problem.allowed = refused.allowed
            return problem
        case StoreError.notAllowed(let why):
            return Problem(status: .forbidden, detail: why.prefix(1).uppercased() + why.dropFirst() + ".")
        case StoreError.conflict(let field, let reason):
            return Problem(status: .conflict, detail: "The request conflicts with a stored record.", errors: [FieldError(field, reason)])
        case StoreError.versionMismatch(let current):
            return Problem(
                status: .preconditionFailed,
                detail: "The record changed since it was read; its version is now \(current).",
                errors: [FieldError("If-Match", "is stale")]
            )
        case let server as ServerError:
            return fromRuntime(server, logger: logger)
        case let http as HTTPError:
            return Problem(status: http.status, detail: http.body)
        default:
            if let violation = ConstraintViolation(error) {
                return ConstraintProblems.problem(for: violation)
            }
            // Class 22 is the database refusing a value (a NUL in text, a number out of range): the client's data.
            if let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState], state.hasPrefix("22") {
                logger.notice("database refused a value", metadata: ["sqlstate": "\(state)"])
                return Problem(
                    status: .unprocessableContent,
                    detail: "A value cannot be stored (\(state)).",
                    errors: [FieldError("body", "holds a value the database cannot store")]
                )
            }
            // A row-level security check refused a write into another scope: the stores' own checks should
            // have said which field; this is the second wall answering.
            if let psql = error as? PSQLError, psql.serverInfo?[.sqlState] == "42501" {
                logger.warning("row-level security refused a write", metadata: ["error": "\(psql.serverInfo?[.message] ?? "")"])
                return Problem(
                    status: .unprocessableContent,
                    detail: "The request refers to a record that does not exist.",
                    errors: [FieldError("body", "refers to a record that does not exist")]
                )
            }
            // 57014: a statement cancelled by its timeout (or a lock wait past it) — busy, not broken.
            if let psql = error as? PSQLError, psql.serverInfo?[.sqlState] == "57014" {
                logger.warning("statement timed out", metadata: ["error": "\(psql.serverInfo?[.message] ?? "")"])
                return Problem(status: .serviceUnavailable, detail: "The database did not finish in time; try again shortly.")
            }
            if isDatabaseUnavailable(error) {
                logger.error("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
                return Problem(status: .serviceUnavailable, detail: "The database is not answering; try again shortly.")
            }
            logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(status: .internalServerError, detail: "An unexpected error occurred; it has been logged.")
        }
    }

    /// The OpenAPI runtime wraps both our handlers' errors and its own decoding errors.
    static func fromRuntime(_ error: ServerError, logger: Logger) -> Problem {
        let underlying = error.underlyingError
        if underlying is Problem || underlying is ValidationFailure || underlying is FieldError || underlying is StoreError
            || underlying is TransitionError
            || ConstraintViolation(underlying) != nil || underlying is PSQLError || underlying is CancellationError
        {
            return from(underlying, logger: logger)
        }
        if let decoding = underlying as? DecodingError {
            // What cannot be parsed is 400, naming what: a path parameter that is not of its type (an id that is
            // not a number; the runtime reports it without a coding path), or a body that is not JSON at all.
            if let name = error.requestMetadata.pathParameters.filter({ $0.key != "token" && Int64($0.value) == nil }).keys.sorted().first {
                return Problem(status: .badRequest, detail: "The path parameter \(name) is malformed.", errors: [FieldError(name, "must be an id")])
            }
            if case .dataCorrupted(let ctx) = decoding, ctx.codingPath.isEmpty, ctx.debugDescription.contains("not valid JSON") {
                return Problem(status: .badRequest, detail: "The body is not JSON.", errors: [FieldError("body", "is not valid JSON")])
            }
            let field = decodingField(decoding)
            // A body that decodes wrongly is 422; a malformed path or query parameter (the runtime reports
            // those without a coding path, so the exact name is unknown) is 400.
            if error.requestBody == nil || (field.field == "body" && error.request.path?.contains("?") == true) {
                return Problem(
                    status: .badRequest,
                    detail: "A path or query parameter is malformed: \(field.reason).",
                    errors: [FieldError(field.field == "body" ? "query" : field.field, field.reason)]
                )
            }
            return Problem(status: .unprocessableContent, detail: "The request body does not match the schema.", errors: [field])
        }
        // Missing or malformed parameters, wrong content type and the like: the runtime's own words.
        return Problem(status: .badRequest, detail: error.causeDescription)
    }

    static func decodingField(_ error: DecodingError) -> FieldError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return FieldError(path(ctx.codingPath + [key]), "is required")
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            let field = path(ctx.codingPath)
            return FieldError(field.isEmpty ? "body" : field, "has the wrong type")
        case .dataCorrupted(let ctx) where ctx.debugDescription.hasPrefix("Additional properties are disabled"):
            // Server-owned fields (id, version, districtId…) and unknown ones are refused, never ignored.
            return FieldError(path(ctx.codingPath), "is not a field a client may send")
        case .dataCorrupted(let ctx):
            let field = path(ctx.codingPath)
            return FieldError(field.isEmpty ? "body" : field, ctx.debugDescription.count < 200 ? ctx.debugDescription : "is not valid")
        @unknown default:
            return FieldError("body", "is not valid")
        }
    }
}

/// Constraint names from db/migrations translated to API fields and statuses: the one place SQLSTATEs
/// meet HTTP (23505 unique and 23P01 exclusion → 409, 23514 check and 23503 reference → 422).
enum ConstraintProblems {
    static let fields: [String: (field: String, reason: String)] = [
        "resident_id_number_index_key": ("idNumber", "a resident with this ID-card number already exists"),
        "area_sibling_name_key": ("name", "an area of this level with this name already exists under the parent"),
        "area_parent_fkey": ("parentId", "is not an area of the level this one must sit under"),
        "facility_name_key": ("name", "a facility of this kind with this name already exists in the district"),
        "care_team_name_key": ("name", "a team with this name already exists at the centre"),
        "care_team_catchment_pkey": ("microGridIds", "a micro-grid is already in a team's catchment"),
        "care_team_catchment_micro_grid_fkey": ("microGridIds", "is not a micro-grid of the team's district"),
        "care_team_member_party_key": ("members", "a team has exactly one party member"),
        "care_team_member_pkey": ("members", "a worker is listed twice"),
        "contract_overlap_excl": ("startsOn", "the resident already has a contract covering this period"),
        "household_external_ref_key": ("externalRef", "a household with this reference already exists in the district"),
        "household_micro_grid_fkey": ("microGridId", "is not a micro-grid of the household's district"),
        "resident_household_fkey": ("householdId", "is not a household of the resident's district"),
        "clinic_team_overlap_excl": ("startsAt", "the team already holds a clinic at this time on this weekday"),
        "clinic_station_overlap_excl": ("stationId", "the station already hosts a clinic at this time on this weekday"),
        "booking_resident_session_key": ("residentId", "the resident is already booked for this session"),
    ]

    static func problem(for v: ConstraintViolation) -> Problem {
        let known = v.constraint.flatMap { fields[$0] }
        let field = known.map { FieldError($0.field, $0.reason) } ?? FieldError("body", "violates a data rule")
        switch v.sqlState {
        case "23505", "23P01":
            return Problem(status: .conflict, detail: "The request conflicts with a stored record.", errors: [field])
        default:
            return Problem(status: .unprocessableContent, detail: "The request breaks a data rule.", errors: [field])
        }
    }
}
