import ArgumentParser
import Foundation
import Identity
import StoaCore

/// `stoa mail retry ID`: makes a failed or pending mail due now; a running server sends it
/// within seconds (its worker polls the outbox).
struct MailRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Send a failed or waiting mail again now (the running server picks it up within seconds).")
    @Argument(help: "The mail's id (from `stoa mail list`).") var id: String

    func validate() throws {
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw ValidationError("the id must be one from `stoa mail list`")
        }
    }

    func run() async throws {
        try await Admin.withDatabase { db in
            let outbox = MailOutbox(database: db, clock: SystemClock())
            if let entry = try await outbox.retry(id: id) {
                print("mail \(entry.id) to \(entry.mail.to) is due now (was tried \(entry.attempts) time(s))")
                return
            }
            guard let entry = try await outbox.entry(id: id) else { CLI.fail("no mail with id \(id)") }
            CLI.fail("mail \(entry.id) is \(entry.status.rawValue): only a pending or failed mail can be retried")
        }
    }
}
