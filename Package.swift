// swift-tools-version:6.0
// Qwen3-TTS in Swift: library, command-line tool and (later) server.
import PackageDescription

// C kernels are always built optimized: a debug test run must not spend minutes in -O0 loops.
// Per-function `target(...)` attributes plus runtime CPU checks pick AVX-512/AVX2/scalar paths,
// so the binary stays portable across x86-64 machines (and arm64 takes the scalar/NEON path).
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=fast"])]

#if os(macOS)
let blasDependency: [Target.Dependency] = []
#else
let blasDependency: [Target.Dependency] = ["COpenBLAS"]
#endif

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
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(name: "TensorCore", dependencies: ["CKernels"] + blasDependency),
        .systemLibrary(
            name: "CSndFile",
            pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]),
        .systemLibrary(
            name: "CSoxr",
            pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"]), .brew(["libsoxr"])]),
        .target(name: "AudioIO", dependencies: ["CSndFile", "CSoxr"]),
        .target(name: "Qwen3TTS", dependencies: ["TensorCore", "AudioIO"]),
        .executableTarget(
            name: "qwen3-tts",
            dependencies: [
                "Qwen3TTS", "TensorCore", "AudioIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "AudioIOTests", dependencies: ["AudioIO"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CKernels"]),
        // Fixtures live in Tests/Fixtures and are found through #filePath (see TestSupport).
        .testTarget(name: "Qwen3TTSTests", dependencies: ["Qwen3TTS", "TensorCore", "AudioIO"]),
    ]
)
