/// Which part of Stoa a process serves.
public enum ServerRole: String, Sendable, CaseIterable {
    /// Auth and API in one process, with local keys (the default).
    case all
    /// Only `/api/auth/*` (and the UI).
    case auth
    /// Only the application API, verifying tokens through a JWKS.
    case api

    public var servesAuth: Bool { self != .api }
    public var servesAPI: Bool { self != .auth }
}
