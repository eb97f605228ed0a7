import StoaCore
import Testing

@Suite struct EmailSettingsTests {
    @Test("defaults: Better Auth's (no verification required, sign-up mail follows it), change of email on, app name Stoa")
    func defaults() throws {
        let email = try StoaConfiguration.load(environment: [:], dotEnvPath: nil).email
        #expect(email.appName == "Stoa" && email.sendOnSignUp == nil && !email.sendsOnSignUp && !email.requireVerification)
        #expect(!email.autoSignInAfterVerification && email.changeEmailEnabled && email.tokenLifetime == 3600)
    }

    @Test("the variables, and sendOnSignUp following requireVerification unless set")
    func variables() throws {
        let email = try StoaConfiguration.load(environment: [
            "STOA_APP_NAME": "Acme Notes", "STOA_REQUIRE_EMAIL_VERIFICATION": "on", "STOA_AUTO_SIGN_IN_AFTER_VERIFICATION": "true",
            "STOA_CHANGE_EMAIL": "off", "STOA_EMAIL_VERIFICATION_EXPIRES_IN": "600",
        ], dotEnvPath: nil).email
        #expect(email.appName == "Acme Notes" && email.requireVerification && email.sendsOnSignUp && email.autoSignInAfterVerification)
        #expect(!email.changeEmailEnabled && email.tokenLifetime == 600)
        let off = try StoaConfiguration.load(environment: ["STOA_REQUIRE_EMAIL_VERIFICATION": "on", "STOA_SEND_VERIFICATION_ON_SIGNUP": "off"],
                                             dotEnvPath: nil).email
        #expect(off.requireVerification && !off.sendsOnSignUp)
    }

    @Test("bad values are one clear sentence")
    func errors() {
        for (key, value) in [("STOA_APP_NAME", "two\nlines"), ("STOA_APP_NAME", String(repeating: "x", count: 101)),
                             ("STOA_REQUIRE_EMAIL_VERIFICATION", "maybe"), ("STOA_CHANGE_EMAIL", "2"), ("STOA_EMAIL_VERIFICATION_EXPIRES_IN", "5")] {
            #expect(throws: ConfigurationError.self, "\(key)=\(value.prefix(10))") { _ = try StoaConfiguration.load(environment: [key: value], dotEnvPath: nil) }
        }
    }
}
