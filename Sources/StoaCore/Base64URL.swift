import Foundation

/// Unpadded base64url (RFC 4648 §5, RFC 7515 §2): JWS signing input, JWK members, page cursors.
///
/// The alphabet is mapped byte by byte: with Foundation's `replacingOccurrences` the three
/// replacements cost a third of the CPU of `get-session` (which signs a JWT on every call).
public enum Base64URL {
    public static func encode(_ data: some DataProtocol) -> String {
        let base64 = Data(data).base64EncodedString()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(base64.utf8.count)
        for byte in base64.utf8 {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): bytes.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of `string`, or nil when it is not base64 (padding and the standard alphabet are tolerated).
    public static func decode(_ string: String) -> Data? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(string.utf8.count + 3)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "-"): bytes.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "/"))
            default: bytes.append(byte)
            }
        }
        while bytes.count % 4 != 0 { bytes.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(bytes))
    }
}
