import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Where a verifier gets its keys: a JWKS document (`{"keys":[…]}`) as JSON bytes.
public protocol JWKSSource: Sendable {
    func fetchJWKS() async throws -> Data
}

/// The keys of this process's own key ring (all-in-one mode).
public struct LocalJWKSSource: JWKSSource {
    let fetch: @Sendable () async throws -> Data
    public init(_ fetch: @escaping @Sendable () async throws -> Data) { self.fetch = fetch }
    public func fetchJWKS() async throws -> Data { try await fetch() }
}

/// A JWKS fetched over HTTP (`BETTER_AUTH_JWKS_URL`), e.g. from a Stoa auth role or Better Auth.
public struct RemoteJWKSSource: JWKSSource {
    let url: String
    let client: HTTPClient
    let timeout: TimeAmount

    public init(url: String, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(5)) {
        self.url = url
        self.client = client
        self.timeout = timeout
    }

    public func fetchJWKS() async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await client.execute(request, timeout: timeout)
        guard response.status == .ok else { throw FetchError(status: Int(response.status.code)) }
        let body = try await response.body.collect(upTo: 1 << 20)
        return Data(body.readableBytesView)
    }

    public struct FetchError: Error, CustomStringConvertible {
        public let status: Int
        public var description: String { "JWKS endpoint answered HTTP \(status)" }
    }
}
