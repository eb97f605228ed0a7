import HTTPTypes
import Identity
import StoaCore

/// Better Auth's origin/CSRF middleware (contract §8).
struct OriginCheck {
    let policy: OriginPolicy
    let disabled: Bool

    /// Redirect fields and the error code each one uses.
    static let redirectFields: [(String, String, String)] = [
        ("callbackURL", "INVALID_CALLBACK_URL", "Invalid callbackURL"),
        ("redirectTo", "INVALID_REDIRECT_URL", "Invalid redirectURL"),
        ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL"),
        ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL"),
    ]

    func check(_ call: AuthCall) throws(StoaError) {
        // Redirect targets are checked with or without cookies: an open redirect is never fine.
        for (field, code, message) in Self.redirectFields {
            let values = [call.bodyValue(field)?.stringValue, call.query[field]].compactMap { $0 }
            // An empty value is no redirect at all (Better Auth skips it too).
            for value in values where !value.isEmpty && !policy.isSafeRedirect(value) {
                throw StoaError.forbidden(code, message)
            }
        }
        guard !disabled else { return }
        let method = call.method
        if method == .get || method == .head || method == .options { return }

        let origin = call.headers[.origin] ?? call.headers[.referer]
        let hasCookies = call.headers[.cookie] != nil
        let isSignInOrUp = call.path.hasPrefix("/sign-in") || call.path.hasPrefix("/sign-up")

        if hasCookies {
            try validate(origin)
            return
        }
        guard isSignInOrUp else { return }
        // Without cookies, sign-in/up still resist login CSRF through Fetch Metadata.
        let site = call.headers[.secFetchSite]?.lowercased()
        let mode = call.headers[.secFetchMode]?.lowercased()
        if site == "cross-site" && mode == "navigate" {
            throw StoaError.forbidden("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED",
                                      "Cross-site navigation login blocked. This request appears to be a CSRF attack.")
        }
        if site != nil || mode != nil || origin != nil {
            try validate(origin)
        }
    }

    func validate(_ origin: String?) throws(StoaError) {
        guard let origin, origin != "null", !origin.isEmpty else {
            throw StoaError.forbidden("MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
        }
        guard policy.isTrusted(url: origin) else {
            throw StoaError.forbidden("INVALID_ORIGIN", "Invalid origin")
        }
    }
}
