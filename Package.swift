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
        .executable(name: "qwen3-tts", targets: ["qwen3-tts"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CKernels", cSettings: kernelFlags, linkerSettings: [.linkedLibrary("m")]),
        .target(name: "CRuntimeLibs", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "TensorCore", dependencies: ["CKernels"]),
        .target(name: "AudioIO", dependencies: ["CRuntimeLibs"]),
        .target(name: "Qwen3TTS", dependencies: ["TensorCore", "AudioIO", "CRuntimeLibs"]),
        .executableTarget(
            name: "qwen3-tts",
            dependencies: [
                "Qwen3TTS", "TensorCore", "AudioIO", "CRuntimeLibs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CKernels"]),
        // Fixtures live in Tests/Fixtures and are found through #filePath (see TestSupport).
        .testTarget(name: "Qwen3TTSTests", dependencies: ["Qwen3TTS", "TensorCore", "AudioIO"]),
    ]
)
