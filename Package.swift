// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Stoa",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stoa", targets: ["stoa"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
    ],
    targets: [
        .target(name: "StoaCore", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Storage", dependencies: [
            "StoaCore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "SQLiteNIO", package: "sqlite-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Identity", dependencies: [
            "StoaCore", "Storage",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "TokenVerification", dependencies: [
            "StoaCore",
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .target(name: "Conversations", dependencies: [
            "StoaCore", "Storage",
            .product(name: "Ink", package: "Ink"),
        ]),
        .target(name: "Tasks", dependencies: ["StoaCore", "Storage"]),
        .target(name: "Knowledge", dependencies: [
            "StoaCore", "Storage",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Assistant", dependencies: [
            "StoaCore", "Tasks", "Knowledge",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "StoaServer", dependencies: [
            "StoaCore", "Storage", "Identity", "TokenVerification", "Conversations", "Tasks", "Knowledge", "Assistant",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "MCP", package: "swift-sdk"),
        ], resources: [.copy("Web")]),
        .executableTarget(name: "stoa", dependencies: [
            "StoaServer", "StoaCore", "Storage", "Identity", "Knowledge",
            .product(name: "MCP", package: "swift-sdk"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "StoaTestSupport", dependencies: ["Storage", "StoaCore", .product(name: "Logging", package: "swift-log")],
                path: "Tests/StoaTestSupport"),
        .testTarget(name: "StoaCoreTests", dependencies: ["StoaCore"]),
        .testTarget(name: "IdentityTests", dependencies: ["Identity", "StoaCore", "Storage", "StoaTestSupport"]),
        .testTarget(name: "AssistantTests", dependencies: [
            "Assistant", "Tasks", "StoaCore", "Storage", "StoaTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "KnowledgeTests", dependencies: ["Knowledge", "StoaCore", "Storage", "StoaTestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "StoaCore", "StoaTestSupport"]),
        .testTarget(name: "TokenVerificationTests", dependencies: ["TokenVerification", "Identity", "StoaCore", "Storage", "StoaTestSupport"]),
        .testTarget(name: "StoaServerTests", dependencies: [
            "StoaServer", "Identity", "Storage", "StoaCore", "StoaTestSupport", "Conversations", "Tasks",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ]
)
