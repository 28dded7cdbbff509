// swift-tools-version: 6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "gridcare",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gridcare", targets: ["gridcare"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.9.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Debian's libqrencode, for the household code sheets (码上办).
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        // The routing solver (PCVRPTW/VRPTW, VRPLIB in and out) on plain values: the planner's engine.
        .target(
            name: "GridcareRouting",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GridcareCore",
            dependencies: ["GridcareRouting"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GridcareStore",
            dependencies: [
                "GridcareCore",
                "GridcareRouting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GridcareAPI",
            dependencies: [
                "GridcareCore", "GridcareRouting",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .target(
            name: "GridcareServer",
            dependencies: [
                "GridcareCore",
                "GridcareRouting",
                "GridcareStore",
                "GridcareAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                "CQRencode",
            ],
            resources: [.copy("Console/templates"), .copy("Console/static")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "gridcare",
            dependencies: [
                "GridcareCore",
                "GridcareRouting",
                "GridcareStore",
                "GridcareServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GridcareTestSupport",
            dependencies: ["GridcareStore", "GridcareCore", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GridcareRoutingTests",
            dependencies: ["GridcareRouting"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GridcareCoreTests",
            dependencies: ["GridcareCore", "GridcareRouting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GridcareStoreTests",
            dependencies: ["GridcareStore", "GridcareCore", "GridcareTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "gridcareTests",
            dependencies: ["GridcareStore", "GridcareCore", "GridcareTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GridcareServerTests",
            dependencies: [
                "GridcareServer", "GridcareStore", "GridcareCore", "GridcareAPI", "GridcareTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
