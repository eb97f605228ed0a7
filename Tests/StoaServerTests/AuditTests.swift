import Foundation
import Hummingbird
import Identity
import StoaCore
@testable import StoaServer
import StoaTestSupport
import Storage
import Testing

/// The audit trail (`auth_event`): what each auth flow writes, that it commits with its change,
/// what deleting a user leaves, retention, and `GET /api/me/activity`.
/// Serialized: each test opens its own database (on PostgreSQL a pool with warm connections), and
/// the whole suite already runs many in parallel.
@Suite(.serialized) struct AuditTests {
    static let agent = "AuditTest/1.0 (X11; Linux)"

    /// Every event, oldest first.
    static func events(_ app: TestApp) async throws -> [AuthEvent] {
        try await AuthEventStore(database: app.database).search(limit: 1000).reversed()
    }

    static func from(_ ip: String) -> [String: String] { ["X-Forwarded-For": ip, "User-Agent": agent] }

    @Test("each auth flow writes its event with the user, the client's address and user agent")
    func everyFlowIsRecorded() async throws {
        try await TestApp.run { client, app in
            let signed = try await client.post("/sign-up/email", #"{"name":"A","email":"a@x.io","password":"password123"}"#, headers: Self.from("203.0.113.1"))
            let user = TestApp.Signed(reply: signed).userID
            #expect(try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"wrongpass9"}"#, headers: Self.from("203.0.113.2")).status == 401)
            let second = TestApp.Signed(reply: try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"password123"}"#, headers: Self.from("203.0.113.3")))
            let third = TestApp.Signed(reply: try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"password123"}"#, headers: Self.from("203.0.113.3")))
            let auth = Self.from("203.0.113.4").merging(["Cookie": second.cookie]) { $1 }
            #expect(try await client.post("/update-user", #"{"name":"B"}"#, headers: auth).status == 200)
            #expect(try await client.post("/revoke-session", #"{"token":"\#(third.token)"}"#, headers: auth).status == 200)
            #expect(try await client.post("/revoke-other-sessions", headers: auth).status == 200)
            #expect(try await client.post("/change-password", #"{"currentPassword":"password123","newPassword":"password456"}"#, headers: auth).status == 200)
            #expect(try await client.post("/sign-out", headers: auth).status == 200)
            #expect(try await client.post("/request-password-reset", #"{"email":"a@x.io"}"#, headers: Self.from("203.0.113.5")).status == 200)
            let url = try #require(await app.mailer.sent(atLeast: 1).first?.url)
            let token = String(url.dropFirst("http://localhost:3000/api/auth/reset-password/".count).prefix { $0 != "?" })
            #expect(try await client.post("/reset-password", #"{"token":"\#(token)","newPassword":"password789"}"#, headers: Self.from("203.0.113.6")).status == 200)
            let last = TestApp.Signed(reply: try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"password789"}"#, headers: Self.from("203.0.113.7")))
            #expect(try await client.post("/revoke-sessions", headers: Self.from("203.0.113.8").merging(["Cookie": last.cookie]) { $1 }).status == 200)

            let events = try await Self.events(app)
            let expected: [(AuthEventType, String)] = [
                (.signUp, "203.0.113.1"), (.signInFailed, "203.0.113.2"), (.signIn, "203.0.113.3"), (.signIn, "203.0.113.3"),
                (.userUpdated, "203.0.113.4"), (.sessionRevoked, "203.0.113.4"), (.sessionRevoked, "203.0.113.4"),
                (.passwordChanged, "203.0.113.4"), (.signOut, "203.0.113.4"), (.passwordResetRequested, "203.0.113.5"),
                (.passwordResetCompleted, "203.0.113.6"), (.signIn, "203.0.113.7"), (.sessionRevoked, "203.0.113.8"),
            ]
            #expect(events.map(\.type) == expected.map(\.0))
            #expect(events.map { $0.ipAddress ?? "" } == expected.map(\.1))
            for event in events {
                #expect(event.userID == user, "\(event.type.rawValue)")
                #expect(event.userAgent == Self.agent, "\(event.type.rawValue)")
            }
            #expect(events.first?.email == "a@x.io")
            #expect(events[1].detail?["reason"] == .string("wrong_password"))
            #expect(events[5].detail?["scope"] == .string("one"))
            #expect(events[6].detail?["scope"] == .string("others"))
            #expect(events[12].detail?["scope"] == .string("all"))
            #expect(events[4].detail?["fields"] == .array([.string("name")]))
            // No secret anywhere: passwords, session tokens, the reset token.
            let dump = events.map(\.json.serialized).joined()
            for secret in ["password123", "wrongpass9", "password456", "password789", token, second.token, third.token, last.token] {
                #expect(!dump.contains(secret))
            }
        }
    }

    @Test("a failed sign-in for an unknown email records the address as typed, no user, no password")
    func unknownEmail() async throws {
        try await TestApp.run { client, app in
            let reply = try await client.post("/sign-in/email", #"{"email":"Nobody@X.io","password":"s3cret-guess"}"#, headers: Self.from("198.51.100.9"))
            #expect(reply.status == 401)
            let events = try await Self.events(app)
            #expect(events.count == 1)
            let event = try #require(events.first)
            #expect(event.type == .signInFailed && event.userID == nil && event.email == "Nobody@X.io")
            #expect(event.ipAddress == "198.51.100.9" && event.detail?["reason"] == .string("unknown_email"))
            #expect(!event.json.serialized.contains("s3cret-guess"))
            // Nobody may read it through the API: it belongs to no user.
            let a = try await APIUser.signUp(client, "nobody@x.io")
            let page = try await a.call(.get, "/api/me/activity")
            #expect(page.status == 200 && !page.text.contains("sign_in_failed"))
        }
    }

    @Test("a failed sign-in answers as before even when its audit row cannot be written")
    func failedSignInNeverFails() async throws {
        try await TestApp.run { client, app in
            _ = try await client.signUp()
            try await app.database.execute(#"DROP TABLE "auth_event""#)
            let reply = try await client.signIn(password: "wrongpass9").reply
            #expect(reply.status == 401 && reply.code == "INVALID_EMAIL_OR_PASSWORD")
            #expect(try await client.signIn(email: "who@x.io").reply.code == "INVALID_EMAIL_OR_PASSWORD")
        }
    }

    @Test("an event commits with its change: a failed change writes no event, a failed event undoes the change")
    func atomicity() async throws {
        try await TestApp.run { client, app in
            let a = try await APIUser.signUp(client, "a@x.io")
            let store = app.services.auth.store
            let now = app.clock.now()
            // The change fails (the email is taken): no event.
            let dup = User(id: RandomID.generate(), name: "D", email: "a@x.io", emailVerified: false, image: nil, createdAt: now, updatedAt: now)
            let account = Account(id: RandomID.generate(), accountId: dup.id, providerId: "credential", issuer: "local:credential",
                                  userId: dup.id, password: nil, createdAt: now, updatedAt: now)
            await #expect(throws: AuthStoreError.self) {
                try await store.createUser(dup, account: account, event: AuthEvent(userID: dup.id, type: .signUp, createdAt: now))
            }
            #expect(try await Self.events(app).filter { $0.userID == dup.id }.isEmpty)
            // The event fails (its id is taken): the change is rolled back.
            let taken = try #require(try await Self.events(app).first?.id)
            await #expect(throws: (any Error).self) {
                _ = try await store.updateUser(id: a.id, name: "Changed", image: nil, at: now,
                                               event: AuthEvent(id: taken, userID: a.id, type: .userUpdated, createdAt: now))
            }
            #expect(try await store.user(id: a.id)?.name == "A")
            await #expect(throws: (any Error).self) {
                try await store.deleteUser(id: a.id, event: AuthEvent(id: taken, userID: a.id, type: .userDeleted, createdAt: now))
            }
            #expect(try await store.user(email: "a@x.io") != nil)
        }
    }

    @Test("deleting a user keeps their audit rows without email, address or user agent")
    func deletionStripsPersonalFields() async throws {
        try await TestApp.run { client, app in
            // A failed sign-in before the account existed names only the email.
            _ = try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"password000"}"#, headers: Self.from("192.0.2.1"))
            let a = TestApp.Signed(reply: try await client.post("/sign-up/email", #"{"name":"A","email":"a@x.io","password":"password123"}"#, headers: Self.from("192.0.2.2")))
            _ = try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"wrongpass9"}"#, headers: Self.from("192.0.2.3"))
            let b = try await APIUser.signUp(client, "b@x.io")
            let deleted = try await client.post("/delete-user", #"{"password":"password123"}"#, headers: Self.from("192.0.2.4").merging(["Cookie": a.cookie]) { $1 })
            #expect(deleted.status == 200)
            let events = try await Self.events(app)
            let mine = events.filter { $0.userID == a.userID || ($0.userID == nil && $0.type == .signInFailed) }
            #expect(mine.map(\.type) == [.signInFailed, .signUp, .signInFailed, .userDeleted])
            for event in mine {
                #expect(event.email == nil && event.ipAddress == nil && event.userAgent == nil, "\(event.type.rawValue)")
            }
            #expect(mine.last?.detail?["by"] == .string("self"))
            // Another user's rows are untouched.
            let theirs = events.filter { $0.userID == b.id }
            #expect(!theirs.isEmpty && theirs.allSatisfy { $0.email == "b@x.io" })
        }
    }

    @Test("stoa sessions revoke (one session, or all of a user's) is recorded as session.revoked by the CLI")
    func operatorRevocations() async throws {
        try await TestApp.run { client, app in
            let a = try await APIUser.signUp(client, "ops@x.io")
            let admin = AdminStore(database: app.database)
            let sessions = try await admin.sessions(userID: a.id)
            #expect(try await admin.revokeSession(idOrToken: sessions[0].id) == 1)
            #expect(try await admin.revokeSession(idOrToken: "no-such-session") == 0)
            _ = try await client.signIn(email: "ops@x.io")
            #expect(try await admin.revokeSessions(userID: a.id) == 1)
            let revoked = try await Self.events(app).filter { $0.userID == a.id && $0.type == .sessionRevoked }
            #expect(revoked.map { $0.detail?["scope"] } == [.string("one"), .string("all")])
            #expect(revoked.allSatisfy { $0.detail?["by"] == .string("cli") })
            #expect(revoked.last?.detail?["count"] == .number(1))
        }
    }

    @Test("retention deletes rows older than the setting, in batches, and nothing newer")
    func retention() async throws {
        // Without the app's own retention service, which would race this test's sweeps.
        try await TestApp.run({ $0.auditRetentionDays = 0 }) { _, app in
            let now = app.clock.now()
            let store = AuthEventStore(database: app.database)
            for days in [400, 200, 91, 90.5, 89, 10, 0] {
                try await store.record(AuthEvent(userID: "u", type: .signIn, createdAt: now.addingTimeInterval(-days * 86_400)))
            }
            let retention = AuditRetention(events: store, days: 90, batch: 2, clock: app.clock, logger: TestDatabase.logger)
            #expect(await retention.sweep() == 4)
            let left = try await store.search(limit: 100).map { now.timeIntervalSince($0.createdAt) / 86_400 }
            #expect(left.count == 3 && left.allSatisfy { $0 < 90 })
            #expect(await retention.sweep() == 0)
        }
    }

    @Test("retention runs in the roles that write the trail, unless it is off", arguments: ServerRole.allCases)
    func retentionService(_ role: ServerRole) async throws {
        for days in [0, 30] {
            try await TestApp.run({ $0.role = role; $0.auditRetentionDays = days }) { _, app in
                let services = backgroundServices(app.services, mcpSessions: MCPSessions(clock: app.clock, logger: TestDatabase.logger))
                #expect(services.contains { $0 is AuditRetention } == (role.servesAuth && days > 0), "\(role) \(days)")
            }
        }
    }

    @Test("STOA_AUDIT_RETENTION_DAYS: 90 by default, 0 keeps forever, anything else is a clear error")
    func retentionSetting() throws {
        #expect(try StoaConfiguration.load(environment: [:], dotEnvPath: nil).auditRetentionDays == 90)
        #expect(try StoaConfiguration.load(environment: ["STOA_AUDIT_RETENTION_DAYS": "0"], dotEnvPath: nil).auditRetentionDays == 0)
        #expect(try StoaConfiguration.load(environment: ["STOA_AUDIT_RETENTION_DAYS": "30"], dotEnvPath: nil).auditRetentionDays == 30)
        for bad in ["-1", "ninety", "1.5", "99999999"] {
            #expect(throws: ConfigurationError.self) { try StoaConfiguration.load(environment: ["STOA_AUDIT_RETENTION_DAYS": bad], dotEnvPath: nil) }
        }
    }

    @Test("key rotation, by hand and by the rotation interval, is recorded with the new key")
    func keyRotation() async throws {
        try await TestApp.run({ $0.jwt.rotation = 3600 }) { _, app in
            let ring = AppServices.makeKeyRing(configuration: app.services.configuration, database: app.database, clock: app.clock, logger: TestDatabase.logger)
            let first = try await ring.signingKey()
            #expect(try await Self.events(app).isEmpty, "the first key is no rotation")
            let second = try await ring.rotate()
            app.clock.advance(by: 3601)
            let third = try await ring.signingKey()
            let events = try await Self.events(app).filter { $0.type == .keyRotated }
            #expect(events.count == 2)
            #expect(events.first?.detail?["kid"] == .string(second.kid) && events.first?.detail?["reason"] == .string("manual"))
            #expect(events.first?.detail?["retired"] == .array([.string(first.kid)]))
            #expect(events.last?.detail?["kid"] == .string(third.kid) && events.last?.detail?["reason"] == .string("automatic"))
            #expect(events.allSatisfy { $0.userID == nil })
        }
    }

    @Test("a long user agent is cut to 512 bytes, between characters")
    func userAgentBound() async throws {
        let accented = AuthEvent(userID: nil, type: .signIn, userAgent: "Agent/" + String(repeating: "é", count: 600), createdAt: Date())
        #expect(accented.userAgent?.utf8.count == 512 && accented.userAgent?.hasSuffix("é") == true)
        let odd = AuthEvent(userID: nil, type: .signIn, userAgent: "Agent/x" + String(repeating: "é", count: 600), createdAt: Date())
        #expect(odd.userAgent?.utf8.count == 511)
        try await TestApp.run { client, app in
            let long = "Agent/" + String(repeating: "x", count: 2000)
            _ = try await client.post("/sign-up/email", #"{"name":"A","email":"a@x.io","password":"password123"}"#, headers: ["User-Agent": long])
            let stored = try #require(try await Self.events(app).first?.userAgent)
            #expect(stored.utf8.count == 512 && long.hasPrefix(stored))
        }
    }

    @Test("GET /api/me/activity: only the caller's events, newest first, paged, no emails")
    func activityRoute() async throws {
        try await TestApp.run { client, app in
            let a = try await APIUser.signUp(client, "a@x.io")
            let b = try await APIUser.signUp(client, "b@x.io")
            for i in 0..<4 {
                app.clock.advance(by: 1)
                _ = try await client.post("/sign-in/email", #"{"email":"a@x.io","password":"\#(i % 2 == 0 ? "wrongpass9" : "password123")"}"#)
            }
            _ = try await client.post("/sign-in/email", #"{"email":"b@x.io","password":"wrongpass9"}"#)
            var seen: [String] = []
            var types: [String] = []
            var cursor: String? = nil
            repeat {
                let reply = try await a.call(.get, "/api/me/activity?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(reply.status == 200)
                #expect(!reply.text.contains("@"), "an email in \(reply.text)")
                guard case .array(let items)? = reply.json?["items"] else { Issue.record("no items"); return }
                #expect(items.count <= 2)
                seen += items.compactMap { $0["id"]?.stringValue }
                types += items.compactMap { $0["type"]?.stringValue }
                cursor = reply.json?["nextCursor"]?.stringValue
            } while cursor != nil
            let mine = try await Self.events(app).filter { $0.userID == a.id }
            #expect(seen == mine.reversed().map(\.id))
            #expect(types.last == "user.signed_up" && types.first == "session.signed_in")
            let theirs = try await b.call(.get, "/api/me/activity")
            guard case .array(let items)? = theirs.json?["items"] else { Issue.record("no items"); return }
            #expect(items.map { $0["type"]?.stringValue } == ["session.sign_in_failed", "user.signed_up"])
            #expect(!theirs.text.contains(a.id))
        }
    }

    @Test("GET /api/me/activity refuses hostile paging parameters with 400 and needs a credential")
    func activityBadInput() async throws {
        try await TestApp.run { client, _ in
            let a = try await APIUser.signUp(client, "a@x.io")
            let oneValue = Base64URL.encode(Data(#"["2026-01-01T00:00:00.000Z"]"#.utf8))
            let notADate = Base64URL.encode(Data(#"["yesterday","x"]"#.utf8))
            for query in ["limit=0", "limit=101", "limit=-1", "limit=99999999999999999999999", "limit=abc", "limit=", "cursor=%%%",
                          "cursor=bm9wZQ", "cursor=\(oneValue)", "cursor=\(notADate)", "cursor=" + String(repeating: "A", count: 600)] {
                let reply = try await a.call(.get, "/api/me/activity?\(query)")
                #expect(reply.status == 400, "\(query)")
                #expect(reply.code == "VALIDATION_ERROR", "\(query)")
                #expect(reply.message?.isEmpty == false, "\(query)")
            }
            let anonymous = try await client.request(.get, "/api/me/activity")
            #expect(anonymous.status == 401 && anonymous.code == "UNAUTHORIZED")
        }
    }
}
