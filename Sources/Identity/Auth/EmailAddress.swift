import Foundation

/// zod's `z.email()` rule, which Better Auth uses to validate addresses.
public enum EmailAddress {
    nonisolated(unsafe) static let pattern = try! NSRegularExpression(
        pattern: #"^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$"#)

    /// Whether `email` is a valid address (and of sane length: at most 320 characters).
    public static func isValid(_ email: String) -> Bool {
        guard !email.isEmpty, email.utf16.count <= 320 else { return false }
        let range = NSRange(email.startIndex..., in: email)
        return pattern.firstMatch(in: email, range: range) != nil
    }
}
