import Crypto
import Foundation

/// Signs and verifies the four signed frames of a message (header, parent_header,
/// metadata, content) with the connection's key and `signature_scheme`.
/// An empty key means messages are not signed (the signature frame is empty).
public struct Signer: Sendable {
    public enum Scheme: String, Sendable { case sha256 = "hmac-sha256", sha384 = "hmac-sha384", sha512 = "hmac-sha512" }

    public enum SignerError: Error, Equatable, CustomStringConvertible {
        case unsupportedScheme(String)
        public var description: String {
            switch self {
            case .unsupportedScheme(let s): return "unsupported signature_scheme '\(s)' (use hmac-sha256, hmac-sha384 or hmac-sha512)"
            }
        }
    }

    private let key: SymmetricKey?
    private let scheme: Scheme

    public init(key: String, scheme: String = "hmac-sha256") throws {
        guard let s = Scheme(rawValue: scheme) else { throw SignerError.unsupportedScheme(scheme) }
        self.scheme = s
        self.key = key.isEmpty ? nil : SymmetricKey(data: Data(key.utf8))
    }

    public var isSigning: Bool { key != nil }

    /// The hex signature of the frames (empty when not signing).
    public func sign(_ frames: [[UInt8]]) -> String {
        guard let key else { return "" }
        switch scheme {
        case .sha256: return Self.hex(Self.mac(HMAC<SHA256>.self, frames, key))
        case .sha384: return Self.hex(Self.mac(HMAC<SHA384>.self, frames, key))
        case .sha512: return Self.hex(Self.mac(HMAC<SHA512>.self, frames, key))
        }
    }

    /// Checks `signature` (hex bytes as received) over the raw frames, in constant time.
    public func verify(signature: [UInt8], frames: [[UInt8]]) -> Bool {
        guard let key else { return true }
        guard let code = Self.unhex(signature) else { return false }
        switch scheme {
        case .sha256: return Self.check(HMAC<SHA256>.self, code, frames, key)
        case .sha384: return Self.check(HMAC<SHA384>.self, code, frames, key)
        case .sha512: return Self.check(HMAC<SHA512>.self, code, frames, key)
        }
    }

    private static func mac<H: HashFunction>(_: HMAC<H>.Type, _ frames: [[UInt8]], _ key: SymmetricKey) -> [UInt8] {
        var h = HMAC<H>(key: key)
        for f in frames { h.update(data: f) }
        return Array(h.finalize())
    }

    private static func check<H: HashFunction>(_: HMAC<H>.Type, _ code: [UInt8], _ frames: [[UInt8]], _ key: SymmetricKey) -> Bool {
        var h = HMAC<H>(key: key)
        for f in frames { h.update(data: f) }
        // `==` on a MessageAuthenticationCode compares in constant time.
        return h.finalize() == code
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8](); out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var out = [UInt8](); out.reserveCapacity(text.count / 2)
        var i = 0
        while i < text.count {
            guard let hi = nibble(text[i]), let lo = nibble(text[i + 1]) else { return nil }
            out.append(hi << 4 | lo); i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
