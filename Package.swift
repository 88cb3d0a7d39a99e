// swift-tools-version:6.0
// Qwen3-TTS in Swift: library, command-line tool and (later) server.
//
// Builds with the Swift toolchain alone: no pkg-config, no -dev packages. Optional system
// libraries (libsndfile for FLAC/MP3/Opus, libsoxr for resampling) are loaded at run time by
// CRuntimeLibs when a feature needs them; large f32 products run on our own GEMM (CKernels).
import PackageDescription

// C kernels are always built optimized: a debug test run must not spend minutes in -O0 loops.
// Per-function `target(...)` attributes plus runtime CPU checks pick AVX-512/AVX2/scalar paths,
// so the binary stays portable across x86-64 machines (and arm64 takes the scalar/NEON path).
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=fast"])]

let package = Package(
    name: "Qwen3TTS",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Qwen3TTS", targets: ["Qwen3TTS"]),
        .library(name: "Qwen3TTSServer", targets: ["Qwen3TTSServer"]),
        .executable(name: "qwen3-tts", targets: ["qwen3-tts"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The server (Sources/Qwen3TTSServer).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        .target(name: "CKernels", cSettings: kernelFlags, linkerSettings: [.linkedLibrary("m")]),
        .target(name: "CRuntimeLibs", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "TensorCore", dependencies: ["CKernels"]),
        .target(name: "AudioIO", dependencies: ["CRuntimeLibs"]),
        .target(name: "Qwen3TTS", dependencies: ["TensorCore", "AudioIO", "CRuntimeLibs"]),
        // The OpenAI-compatible HTTP server, as a library so tests build the same app.
        .target(
            name: "Qwen3TTSServer",
            dependencies: [
                "Qwen3TTS", "AudioIO",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        .executableTarget(
            name: "qwen3-tts",
            dependencies: [
                "Qwen3TTS", "TensorCore", "AudioIO", "CRuntimeLibs", "Qwen3TTSServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CKernels"]),
        // Fixtures live in Tests/Fixtures and are found through #filePath (see TestSupport).
        .testTarget(name: "Qwen3TTSTests", dependencies: ["Qwen3TTS", "TensorCore", "AudioIO"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Qwen3TTSServer", "Qwen3TTS", "AudioIO",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
    ]
)
