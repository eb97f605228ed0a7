import Crypto
import Foundation
import StoaCore

/// Signs cookie values the way better-call does: `encodeURIComponent(v + "." + base64(HMAC-SHA256(secret, v)))`.
public struct CookieSigner: Sendable {
    let key: SymmetricKey

    public init(secret: String) { key = SymmetricKey(data: Data(secret.utf8)) }

    /// The signed value before URL-encoding: `value.signature=`.
    public func signedValue(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key)
        return value + "." + Data(mac).base64EncodedString()
    }

    /// The cookie value as sent in `Set-Cookie` (URL-encoded).
    public func cookieValue(_ value: String) -> String {
        URIComponent.encode(signedValue(value))
    }

    /// Checks a signed value (URL-encoded or not) and returns the original value, or `nil`.
    public func unsign(_ raw: String) -> String? {
        let decoded = raw.contains("%") ? (URIComponent.decode(raw) ?? raw) : raw
        guard let dot = decoded.lastIndex(of: ".") else { return nil }
        let value = String(decoded[..<dot])
        let signature = String(decoded[decoded.index(after: dot)...])
        guard signature.utf8.count == 44, signature.hasSuffix("="), !value.isEmpty,
              let given = Data(base64Encoded: signature) else { return nil }
        let expected = Data(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key))
        return ConstantTime.equal(Array(given), Array(expected)) ? value : nil
    }
}

/// JavaScript's `encodeURIComponent` / `decodeURIComponent`.
public enum URIComponent {
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()".utf8)

    public static func encode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    public static func decode(_ s: String) -> String? {
        s.removingPercentEncoding
    }
}
