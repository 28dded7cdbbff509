import Crypto
import Foundation
import GridcareCore

/// Identity numbers at rest: sealed with AES-256-GCM and found by a keyed blind index (HMAC-SHA256), so a
/// copy of the database or a backup holds no number and cannot be searched without the key. Both keys are
/// derived (HKDF) from one 32-byte master key that lives outside the database and the repository.
public struct IdentityVault: Sendable {
    let sealKey: SymmetricKey
    let indexKey: SymmetricKey
    /// The first byte of every sealed value: which key sealed it, so a key can be rotated later.
    static let keyVersion: UInt8 = 1

    public init(masterKey: [UInt8]) throws(IdentityKeyError) {
        guard masterKey.count == 32 else { throw IdentityKeyError("the identity key must be 32 bytes (base64 of 32 random bytes)") }
        let master = SymmetricKey(data: masterKey)
        sealKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data("gridcare id-number seal v1".utf8), outputByteCount: 32)
        indexKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data("gridcare id-number index v1".utf8), outputByteCount: 32)
    }

    /// The stored form of a number: key version, nonce, ciphertext and tag.
    public func seal(_ number: IDCardNumber) -> Data {
        // A random 96-bit nonce per value: GCM is safe for far more values than a city registers.
        let box = try! AES.GCM.seal(Data(number.value.utf8), using: sealKey)
        var out = Data([Self.keyVersion])
        out.append(box.combined!)
        return out
    }

    /// The number a sealed value holds; fails on a value sealed by another key or changed since.
    public func open(_ sealed: Data) throws(IdentityKeyError) -> IDCardNumber {
        guard sealed.first == Self.keyVersion, let box = try? AES.GCM.SealedBox(combined: sealed.dropFirst()),
            let plain = try? AES.GCM.open(box, using: sealKey), let number = try? IDCardNumber(String(decoding: plain, as: UTF8.self))
        else { throw IdentityKeyError("a stored identity number does not open with the configured key") }
        return number
    }

    /// The blind index: equal numbers give equal values, and without the key a value says nothing.
    public func blindIndex(_ number: IDCardNumber) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(number.value.utf8), using: indexKey))
    }

    /// A fresh random master key, base64: what `gridcare key generate` prints and the embedded cluster keeps.
    public static func newKeyBase64() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// The vault of a base64 master key.
    public init(base64: String) throws(IdentityKeyError) {
        guard let bytes = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw IdentityKeyError("the identity key is not base64")
        }
        try self.init(masterKey: Array(bytes))
    }

    /// The vault of a key file holding a base64 master key. With `create`, a missing file is made with a new
    /// key, readable by its owner only (the embedded cluster's key, kept beside and never inside its data folder).
    public static func load(file path: String, create: Bool) throws(IdentityKeyError) -> IdentityVault {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard create else { throw IdentityKeyError("the identity key file \(path) does not exist") }
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            guard fm.createFile(atPath: path, contents: Data((newKeyBase64() + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw IdentityKeyError("cannot write the identity key file \(path)")
            }
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw IdentityKeyError("cannot read the identity key file \(path)")
        }
        return try IdentityVault(base64: text)
    }
}

/// A missing, unreadable or wrong identity key: the service does not start without the right one.
public struct IdentityKeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
