// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "nanobatch",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nanobatch", targets: ["nanobatch"])
    ],
    targets: [
        .target(name: "NanobatchCore"),
        // The own HTTP/1.1 client for http:// URLs (README › Performance says why it stays).
        .target(name: "SocketHTTP", dependencies: ["NanobatchCore"]),
        // A loopback HTTP/1.1 server for tests and benchmarks (not part of the tool).
        .target(name: "LoopbackHTTP"),
        .executableTarget(name: "nanobatch", dependencies: ["NanobatchCore", "SocketHTTP"]),
        // Benchmarks (release build, run by Sources/nanobatch-bench/run.sh; not part of `swift test`).
        .executableTarget(name: "nanobatch-bench", dependencies: ["NanobatchCore", "LoopbackHTTP"], exclude: ["run.sh", "test-ca.sh"]),
        .testTarget(name: "NanobatchCoreTests", dependencies: ["NanobatchCore", "SocketHTTP", "LoopbackHTTP"], exclude: ["Golden"]),
    ]
)
