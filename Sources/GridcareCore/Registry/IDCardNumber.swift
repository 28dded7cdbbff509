/// A mainland resident identity card number (GB 11643-1999): 6-digit region, birth date, 3-digit
/// sequence (odd for men), and a check character computed over the first 17 digits.
public struct IDCardNumber: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// Validates `raw` (a lowercase x is accepted and upper-cased). Works on bytes: imports check a
    /// million of these.
    public init(_ raw: String) throws(FieldError) {
        var bytes = Array(raw.utf8)
        guard bytes.count == 18 else { throw FieldError("idNumber", "must have 18 characters") }
        if bytes[17] == UInt8(ascii: "x") { bytes[17] = UInt8(ascii: "X") }
        guard bytes[0..<17].allSatisfy(isDigit), isDigit(bytes[17]) || bytes[17] == UInt8(ascii: "X") else {
            throw FieldError("idNumber", "must be 17 digits followed by a digit or X")
        }
        guard let birth = SimpleDate(digits: bytes[6..<14]), birth.year >= 1880 else {
            throw FieldError("idNumber", "has an impossible birth date")
        }
        var sum = 0
        for i in 0..<17 { sum += Int(bytes[i] - 48) * Self.weights[i] }
        guard Self.checkBytes[sum % 11] == bytes[17] else {
            throw FieldError("idNumber", "check digit does not match")
        }
        value = String(decoding: bytes, as: UTF8.self)
    }

    private static let checkBytes: [UInt8] = Array("10X98765432".utf8)

    /// The check character for 17 leading digits.
    public static func checkCharacter(for digits: some Collection<Character>) -> Character {
        var sum = 0
        for (d, w) in zip(digits, weights) { sum += Int(d.asciiValue! - 48) * w }
        return checkCharacters[sum % 11]
    }

    /// Builds a valid number from its parts; used by the demo generator and tests.
    public static func make(region: Int, birth: SimpleDate, sequence: Int) -> IDCardNumber {
        let body = pad(region, 6) + birth.yyyymmdd + pad(sequence, 3)
        return try! IDCardNumber(body + String(checkCharacter(for: Array(body))))
    }

    public var birthDate: SimpleDate { SimpleDate(digits: Array(value.utf8)[6..<14])! }

    /// The sex encoded in the sequence digit: odd is male.
    public var isMale: Bool { Int(Array(value.utf8)[16] - 48) % 2 == 1 }

    /// The region (first 6) and the last 2 characters, the rest hidden: the form every view shows but the
    /// few that need the whole number. Showing the last 4 would leave about 33 candidates once the birth
    /// year is known, and the hidden 7–14 are the birth date itself; with the last 2 and the birth year,
    /// about 3,300 numbers pass the check digit (IdentityExposure, tested per response shape).
    public var masked: String { Self.mask(value) }

    public static func mask(_ raw: String) -> String {
        let chars = Array(raw)
        guard chars.count > 8 else { return String(repeating: "*", count: chars.count) }
        return String(chars[0..<6]) + String(repeating: "*", count: chars.count - 8) + String(chars[(chars.count - 2)...])
    }

    public var description: String { masked }
}

func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

@inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
