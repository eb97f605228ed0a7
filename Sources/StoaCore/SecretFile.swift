import Foundation

/// The secret Stoa makes for itself when none is configured: 32 random bytes (hex) in
/// `<dataDir>/secret`, readable only by the owner.
public enum SecretFile {
    /// Loads the stored secret, or creates one. Returns the secret and whether it was created now.
    public static func loadOrCreate(dataDirectory: String) throws(ConfigurationError) -> (secret: String, created: Bool) {
        let path = (dataDirectory as NSString).appendingPathComponent("secret")
        let fm = FileManager.default
        if let data = fm.contents(atPath: path) {
            let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard secret.count >= 32 else {
                throw ConfigurationError("the secret file \(path) is shorter than 32 characters; delete it or set BETTER_AUTH_SECRET")
            }
            return (secret, false)
        }
        do {
            try fm.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ConfigurationError("cannot create the data directory \(dataDirectory): \(error.localizedDescription)")
        }
        let secret = RandomID.hex(bytes: 32)
        // Create with 0600 from the start so the secret is never readable by others, even briefly.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ConfigurationError("cannot write the secret file \(path) (errno \(errno))") }
        defer { close(fd) }
        let bytes = Array((secret + "\n").utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else {
            throw ConfigurationError("cannot write the secret file \(path) (errno \(errno))")
        }
        return (secret, true)
    }
}
