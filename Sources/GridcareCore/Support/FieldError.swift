import Foundation

/// A problem with one field of an input, named the way the API names it.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// Several field problems found at once, so a client can fix them all in one go.
public struct ValidationFailure: Error, Sendable, Equatable {
    public var errors: [FieldError]

    public init(_ errors: [FieldError]) { self.errors = errors }

    /// Throws when `errors` is not empty.
    public static func check(_ errors: [FieldError]) throws(ValidationFailure) {
        if !errors.isEmpty { throw ValidationFailure(errors) }
    }
}

/// Collects field problems while a value is checked.
public struct FieldChecker: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func require(_ condition: Bool, _ field: String, _ reason: @autoclosure () -> String) {
        if !condition { errors.append(FieldError(field, reason())) }
    }

    public mutating func text(_ value: String?, _ field: String, max: Int, required: Bool = true) {
        guard let value else {
            if required { errors.append(FieldError(field, "is required")) }
            return
        }
        if required, value.trimmed.isEmpty { errors.append(FieldError(field, "must not be blank")) }
        // PostgreSQL text cannot hold NUL, and no name or address needs a control character.
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            errors.append(FieldError(field, "must not contain control characters"))
        }
        // Counting scalars, not grapheme clusters, is enough for a length limit and much cheaper.
        if value.utf8.count > max, value.unicodeScalars.count > max {
            errors.append(FieldError(field, "must be at most \(max) characters"))
        }
    }

    public mutating func coordinate(latitude: Double?, longitude: Double?, prefix: String = "") {
        if let latitude, !(latitude >= -90 && latitude <= 90) {
            errors.append(FieldError(prefix + "latitude", "must be between -90 and 90"))
        }
        if let longitude, !(longitude >= -180 && longitude <= 180) {
            errors.append(FieldError(prefix + "longitude", "must be between -180 and 180"))
        }
    }

    public mutating func add(_ error: FieldError) { errors.append(error) }

    public func finish() throws(ValidationFailure) { try ValidationFailure.check(errors) }
}
