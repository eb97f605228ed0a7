extension Migration {
    /// Better Auth's tables exactly as its migration tool creates them (contract §7):
    /// camelCase columns, text ids, `timestamptz`/`boolean` in PostgreSQL, ISO `date` text and
    /// 0/1 integers in SQLite. `IF NOT EXISTS` lets Stoa adopt a database Better Auth created.
    static let authTables = Migration(
        version: 1,
        name: "better-auth tables (user, session, account, verification, jwks, rateLimit)",
        up: [
            .postgres: [
                """
                CREATE TABLE IF NOT EXISTS "user" ("id" text NOT NULL PRIMARY KEY, "name" text NOT NULL, "email" text NOT NULL UNIQUE, \
                "emailVerified" boolean DEFAULT false NOT NULL, "image" text, "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL, \
                "updatedAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS "session" ("id" text NOT NULL PRIMARY KEY, "expiresAt" timestamptz NOT NULL, "token" text NOT NULL UNIQUE, \
                "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL, "updatedAt" timestamptz NOT NULL, "ipAddress" text, "userAgent" text, \
                "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE)
                """,
                #"CREATE INDEX IF NOT EXISTS "session_userId_idx" ON "session" ("userId")"#,
                """
                CREATE TABLE IF NOT EXISTS "account" ("id" text NOT NULL PRIMARY KEY, "accountId" text NOT NULL, "providerId" text NOT NULL, \
                "issuer" text NOT NULL, "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, "accessToken" text, "refreshToken" text, \
                "idToken" text, "accessTokenExpiresAt" timestamptz, "refreshTokenExpiresAt" timestamptz, "scope" text, "password" text, \
                "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL, "updatedAt" timestamptz NOT NULL)
                """,
                #"CREATE UNIQUE INDEX IF NOT EXISTS "account_issuer_accountId_uidx" ON "account" ("issuer", "accountId")"#,
                #"CREATE INDEX IF NOT EXISTS "account_userId_idx" ON "account" ("userId")"#,
                """
                CREATE TABLE IF NOT EXISTS "verification" ("id" text NOT NULL PRIMARY KEY, "identifier" text NOT NULL, "value" text NOT NULL, \
                "expiresAt" timestamptz NOT NULL, "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL, \
                "updatedAt" timestamptz DEFAULT CURRENT_TIMESTAMP NOT NULL)
                """,
                #"CREATE INDEX IF NOT EXISTS "verification_identifier_idx" ON "verification" ("identifier")"#,
                """
                CREATE TABLE IF NOT EXISTS "jwks" ("id" text NOT NULL PRIMARY KEY, "publicKey" text NOT NULL, "privateKey" text NOT NULL, \
                "createdAt" timestamptz NOT NULL, "expiresAt" timestamptz, "alg" text, "crv" text)
                """,
                """
                CREATE TABLE IF NOT EXISTS "rateLimit" ("id" text NOT NULL PRIMARY KEY, "key" text NOT NULL UNIQUE, "count" integer NOT NULL, \
                "lastRequest" bigint NOT NULL)
                """,
            ],
            .sqlite: [
                """
                CREATE TABLE IF NOT EXISTS "user" ("id" text NOT NULL PRIMARY KEY, "name" text NOT NULL, "email" text NOT NULL UNIQUE, \
                "emailVerified" integer DEFAULT 0 NOT NULL, "image" text, "createdAt" date NOT NULL, "updatedAt" date NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS "session" ("id" text NOT NULL PRIMARY KEY, "expiresAt" date NOT NULL, "token" text NOT NULL UNIQUE, \
                "createdAt" date NOT NULL, "updatedAt" date NOT NULL, "ipAddress" text, "userAgent" text, \
                "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE)
                """,
                #"CREATE INDEX IF NOT EXISTS "session_userId_idx" ON "session" ("userId")"#,
                """
                CREATE TABLE IF NOT EXISTS "account" ("id" text NOT NULL PRIMARY KEY, "accountId" text NOT NULL, "providerId" text NOT NULL, \
                "issuer" text NOT NULL, "userId" text NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE, "accessToken" text, "refreshToken" text, \
                "idToken" text, "accessTokenExpiresAt" date, "refreshTokenExpiresAt" date, "scope" text, "password" text, \
                "createdAt" date NOT NULL, "updatedAt" date NOT NULL)
                """,
                #"CREATE UNIQUE INDEX IF NOT EXISTS "account_issuer_accountId_uidx" ON "account" ("issuer", "accountId")"#,
                #"CREATE INDEX IF NOT EXISTS "account_userId_idx" ON "account" ("userId")"#,
                """
                CREATE TABLE IF NOT EXISTS "verification" ("id" text NOT NULL PRIMARY KEY, "identifier" text NOT NULL, "value" text NOT NULL, \
                "expiresAt" date NOT NULL, "createdAt" date NOT NULL, "updatedAt" date NOT NULL)
                """,
                #"CREATE INDEX IF NOT EXISTS "verification_identifier_idx" ON "verification" ("identifier")"#,
                """
                CREATE TABLE IF NOT EXISTS "jwks" ("id" text NOT NULL PRIMARY KEY, "publicKey" text NOT NULL, "privateKey" text NOT NULL, \
                "createdAt" date NOT NULL, "expiresAt" date, "alg" text, "crv" text)
                """,
                """
                CREATE TABLE IF NOT EXISTS "rateLimit" ("id" text NOT NULL PRIMARY KEY, "key" text NOT NULL UNIQUE, "count" integer NOT NULL, \
                "lastRequest" bigint NOT NULL)
                """,
            ],
        ],
        down: [
            .postgres: [#"DROP TABLE IF EXISTS "rateLimit""#, #"DROP TABLE IF EXISTS "jwks""#, #"DROP TABLE IF EXISTS "verification""#,
                        #"DROP TABLE IF EXISTS "account""#, #"DROP TABLE IF EXISTS "session""#, #"DROP TABLE IF EXISTS "user""#],
            .sqlite: [#"DROP TABLE IF EXISTS "rateLimit""#, #"DROP TABLE IF EXISTS "jwks""#, #"DROP TABLE IF EXISTS "verification""#,
                      #"DROP TABLE IF EXISTS "account""#, #"DROP TABLE IF EXISTS "session""#, #"DROP TABLE IF EXISTS "user""#],
        ])
}
