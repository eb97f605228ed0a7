import Foundation
import NIOCore
import NIOSSL
import StoaCore

/// The SMTP client's TLS: certificate and host-name verification against the system trust
/// store, plus the certificate authorities of `STOA_SMTP_CA_FILE`; TLS 1.2 or later.
enum SMTPTLS {
    static let untrustedCertificate = "certificate not trusted"

    /// A client context; throws a configuration error when the CA file is not PEM certificates.
    static func makeContext(caFile: String?) throws(ConfigurationError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        if let caFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            } catch {
                throw ConfigurationError("STOA_SMTP_CA_FILE \(caFile) is not a PEM file of certificates (\(error))")
            }
            guard !certificates.isEmpty else { throw ConfigurationError("STOA_SMTP_CA_FILE \(caFile) holds no certificate") }
            configuration.additionalTrustRoots = [.certificates(certificates)]
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigurationError("cannot set up TLS for SMTP: \(error)")
        }
    }

    /// The name to verify the certificate against and send as SNI: nil for an IP address (the
    /// certificate is then checked against the address).
    static func serverHostname(_ host: String) -> String? {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 { return nil }
        return host
    }

    static func isTLSError(_ error: any Error) -> Bool {
        error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError || error is NIOSSLCloseTimedOutError
    }

    /// A short phrase for a TLS failure: ``untrustedCertificate`` for a failed verification.
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed")
            || (error as? NIOSSLExtraError) == .failedToValidateHostname || (error as? NIOSSLExtraError) == .serverHostnameImpossibleToMatch {
            return untrustedCertificate
        }
        if case .handshakeFailed = error as? NIOSSLError { return "TLS handshake failed (\(text.prefix(300)))" }
        return "TLS error (\(text.prefix(300)))"
    }
}
