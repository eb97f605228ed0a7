import Foundation
import Identity
import StoaCore
import Testing

@Suite struct PasswordAndCookieTests {
    @Test("contract §6 scrypt test vector") func scryptVector() throws {
        let hasher = ScryptPasswordHasher()
        let expected = "00112233445566778899aabbccddeeff:73122e887cfc14f91396cdef78dfe4b9dec28d459037601c4904cedba5a637ab97b39b40c236df5d42881d0109ca8cf0f85e39dbaba2911c190915bd8f30fe85"
        #expect(try hasher.hash("password123", saltHex: "00112233445566778899aabbccddeeff") == expected)
        #expect(try hasher.verify("password123", hash: expected))
        #expect(try !hasher.verify("password124", hash: expected))
        #expect(throws: ScryptPasswordHasher.MalformedHash.self) { try hasher.verify("x", hash: "not-a-hash") }
    }

    @Test("passwords are NFKC-normalised before hashing") func nfkc() throws {
        let hasher = ScryptPasswordHasher()
        let hash = try hasher.hash("ﬁle-password①", saltHex: "00112233445566778899aabbccddeeff")
        #expect(try hasher.verify("file-password1", hash: hash))
    }

    @Test("fresh hashes have Better Auth's shape") func shape() throws {
        let hash = try ScryptPasswordHasher().hash("password123")
        #expect(hash.range(of: "^[0-9a-f]{32}:[0-9a-f]{128}$", options: .regularExpression) != nil)
    }

    @Test("contract §2 cookie signature test vector") func cookieVector() {
        let signer = CookieSigner(secret: "better-auth-secret-12345678901234567890")
        let value = signer.cookieValue("abcdefghijklmnopqrstuvwxyzABCDEF")
        #expect(value == "abcdefghijklmnopqrstuvwxyzABCDEF.QmaNojtZSUlZhDy0KckVS%2FNKGUOtxYFA44h2iQBuCz4%3D")
        #expect(signer.unsign(value) == "abcdefghijklmnopqrstuvwxyzABCDEF")
        #expect(signer.unsign(signer.signedValue("abc")) == "abc")
        #expect(signer.unsign("abc.QmaNojtZSUlZhDy0KckVS%2FNKGUOtxYFA44h2iQBuCz4%3D") == nil)
        #expect(signer.unsign("abc") == nil)
        #expect(CookieSigner(secret: "another-secret-another-secret-123").unsign(value) == nil)
    }

    @Test("password length rules count UTF-16 units") func lengths() throws {
        let service = PasswordService(pool: HashingPool(threads: 1, queueLimit: 1))
        #expect(throws: AuthError.passwordTooShort) { try service.checkLength("1234567") }
        try service.checkLength("12345678")
        try service.checkLength(String(repeating: "x", count: 128))
        #expect(throws: AuthError.passwordTooLong) { try service.checkLength(String(repeating: "x", count: 129)) }
        // 64 emoji are 128 UTF-16 units: allowed; 65 are not.
        try service.checkLength(String(repeating: "😀", count: 64))
        #expect(throws: AuthError.passwordTooLong) { try service.checkLength(String(repeating: "😀", count: 65)) }
    }
}
