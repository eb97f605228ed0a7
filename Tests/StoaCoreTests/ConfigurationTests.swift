import Foundation
import StoaCore
import Testing

@Suite struct ConfigurationTests {
    @Test("defaults") func defaults() throws {
        let config = try StoaConfiguration.load(environment: [:], dotEnvPath: nil)
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 8080)
        #expect(config.role == .all)
        #expect(config.baseURL == "http://127.0.0.1:8080")
        #expect(config.database == .sqlite(path: ".stoa/stoa.db"))
        #expect(config.rateLimit.enabled)
        #expect(config.secrets.isEmpty)
    }

    @Test("flags beat the environment, which beats .env") func precedence() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stoa-\(UUID().uuidString).env").path
        try "PORT=1111\nHOST=10.0.0.1\nexport BETTER_AUTH_SECRET=\"from-dotenv\"\n# comment\nSTOA_RATE_LIMIT=off\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try StoaConfiguration.load(flags: ["PORT": "3333"], environment: ["PORT": "2222", "HOST": "0.0.0.0"], dotEnvPath: path)
        #expect(config.port == 3333)
        #expect(config.host == "0.0.0.0")
        #expect(config.baseURL == "http://localhost:3333")
        #expect(config.secrets == ["from-dotenv"])
        #expect(config.rateLimit.enabled == false)
    }

    @Test("Better Auth's secret variables") func secrets() throws {
        #expect(try StoaConfiguration.load(environment: ["AUTH_SECRET": "a"], dotEnvPath: nil).secrets == ["a"])
        #expect(try StoaConfiguration.load(environment: ["AUTH_SECRET": "a", "BETTER_AUTH_SECRET": "b"], dotEnvPath: nil).secrets == ["b"])
        #expect(try StoaConfiguration.load(environment: ["BETTER_AUTH_SECRETS": "2:new, 1:old", "BETTER_AUTH_SECRET": "b"], dotEnvPath: nil).secrets == ["new", "old"])
    }

    @Test("bad values are one clear sentence") func errors() {
        for (env, needle) in [(["DATABASE_URL": "mysql://u:secretpw@h/db"], "DATABASE_URL"), (["STOA_ROLE": "nope"], "role"),
                              (["PORT": "http"], "PORT"), (["STOA_RATE_LIMIT": "maybe"], "STOA_RATE_LIMIT"),
                              (["DATABASE_URL": "postgres://u:pw@h/db?sslmode=bogus"], "sslmode"), (["BETTER_AUTH_URL": "ftp://x"], "BETTER_AUTH_URL"),
                              (["STOA_DATABASE_CONNECTIONS": "1"], "STOA_DATABASE_CONNECTIONS"), (["STOA_DATABASE_CONNECTIONS": "lots"], "STOA_DATABASE_CONNECTIONS"),
                              (["STOA_DATABASE_CONNECTIONS": "99999999999999999999999"], "STOA_DATABASE_CONNECTIONS")] {
            do {
                _ = try StoaConfiguration.load(environment: env, dotEnvPath: nil)
                Issue.record("no error for \(env)")
            } catch {
                #expect(error.description.contains(needle))
                #expect(!error.description.contains("secretpw"))
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test("DATABASE_URL forms, including Neon's") func databaseURLs() throws {
        let neon = try DatabaseConfiguration.parse(
            "postgresql://alex:AbC%40123@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?sslmode=require&channel_binding=require", dataDirectory: ".")
        guard case .postgres(let settings) = neon else { Issue.record("not postgres"); return }
        #expect(settings.host == "ep-cool-darkness-123456.us-east-2.aws.neon.tech")
        #expect(settings.port == 5432)
        #expect(settings.username == "alex")
        #expect(settings.password == "AbC@123")
        #expect(settings.database == "dbname")
        #expect(settings.tls == .require)
        #expect(!neon.redacted.contains("AbC"))
        #expect(try DatabaseConfiguration.parse("sqlite:/tmp/x.db", dataDirectory: ".") == .sqlite(path: "/tmp/x.db"))
        #expect(try DatabaseConfiguration.parse(nil, dataDirectory: "/data") == .sqlite(path: "/data/stoa.db"))
    }

    @Test("STOA_DATABASE_CONNECTIONS sizes the PostgreSQL pool; SQLite ignores it") func databaseConnections() throws {
        let url = "postgres://u:pw@db.example.com/stoa"
        guard case .postgres(let plain) = try StoaConfiguration.load(environment: ["DATABASE_URL": url], dotEnvPath: nil).database,
              case .postgres(let sized) = try StoaConfiguration.load(environment: ["DATABASE_URL": url, "STOA_DATABASE_CONNECTIONS": "6"], dotEnvPath: nil).database else {
            Issue.record("not postgres"); return
        }
        #expect(plain.connections == 20)
        #expect(sized.connections == 6)
        #expect(sized.host == "db.example.com" && sized.password == "pw")
        let sqlite = try StoaConfiguration.load(environment: ["STOA_DATABASE_CONNECTIONS": "6", "STOA_DATA_DIR": "/d"], dotEnvPath: nil)
        #expect(sqlite.database == .sqlite(path: "/d/stoa.db"))
    }

    @Test("ISO-8601 like Date.toJSON") func iso() {
        let date = Date(timeIntervalSince1970: 1_767_323_045.678)
        #expect(ISO8601.string(from: date) == "2026-01-02T03:04:05.678Z")
        #expect(ISO8601.date(from: "2026-01-02T03:04:05.678Z")?.timeIntervalSince1970 == 1_767_323_045.678)
        #expect(ISO8601.date(from: "2026-01-02 03:04:05")?.timeIntervalSince1970 == 1_767_323_045)
        #expect(ISO8601.date(from: "2026-01-02T04:04:05+01:00")?.timeIntervalSince1970 == 1_767_323_045)
        #expect(ISO8601.date(from: "garbage") == nil)
        // Impossible dates are refused, never shifted into the next month or day.
        for impossible in ["2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z",
                           "2026-01-01T00:00:60Z", "2026-01-01T00:00:00+99:99", "2026-01-01T00:00:00+01:xx", "2026-13-01T00:00:00Z"] {
            #expect(ISO8601.date(from: impossible) == nil, "\(impossible)")
        }
        #expect(ISO8601.date(from: "2028-02-29T00:00:00Z") != nil)   // a leap year
        #expect(ISO8601.date(from: "2000-02-29T00:00:00Z") != nil)
        #expect(ISO8601.date(from: "2100-02-29T00:00:00Z") == nil)
        #expect(ISO8601.date(from: "2026-01-02T03:04:05.678+00")?.timeIntervalSince1970 == 1_767_323_045.678)
    }

    @Test("the generated secret file is private") func secretFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoa-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (secret, created) = try SecretFile.loadOrCreate(dataDirectory: dir)
        #expect(created)
        #expect(secret.count == 64)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/secret")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try SecretFile.loadOrCreate(dataDirectory: dir)
        #expect(again.secret == secret && !again.created)
    }

    @Test("JSON keeps key order and escapes") func json() {
        let value = JSONValue.object([("b", .number(1)), ("a", .string("<x>\"\n")), ("n", .null)])
        #expect(value.serialized == #"{"b":1,"a":"\u003cx\u003e\"\n","n":null}"#)
        #expect(JSONValue.parse(Data(#"{"x":true,"y":1.5,"z":[null]}"#.utf8)) == .object([("x", .bool(true)), ("y", .number(1.5)), ("z", .array([.null]))]))
        #expect(JSONValue.parse(Data("{nope".utf8)) == nil)
    }
}
