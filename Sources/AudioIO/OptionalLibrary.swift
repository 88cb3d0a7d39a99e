// Optional system libraries: loaded at run time (CRuntimeLibs) the first time a feature needs
// one. Nothing else depends on them: WAV and raw PCM in and out are pure Swift.

import CRuntimeLibs

/// A system library the engine uses when it is installed, and what to install to get it.
public struct OptionalLibrary: Sendable, Equatable, CustomStringConvertible {
    /// The library's usual name, e.g. "libsndfile".
    public let name: String
    /// What it enables.
    public let purpose: String
    /// The Debian/Ubuntu package that provides the runtime library.
    public let debianPackage: String
    /// The Homebrew formula.
    public let homebrewFormula: String
    let index: Int32

    /// FLAC, MP3 and Ogg/Opus in and out; WAV encodings the Swift reader leaves out.
    public static let sndfile = OptionalLibrary(
        name: "libsndfile", purpose: "FLAC, MP3 and Opus audio", debianPackage: "libsndfile1",
        homebrewFormula: "libsndfile", index: 0)
    /// Resampling reference audio that is not 24 kHz, exactly as the official implementation.
    public static let soxr = OptionalLibrary(
        name: "libsoxr", purpose: "resampling reference audio that is not 24 kHz", debianPackage: "libsoxr0",
        homebrewFormula: "libsoxr", index: 1)
    /// Only for comparing the project's own GEMM against it (`qwen3-tts dev gemm-bench`).
    public static let openblas = OptionalLibrary(
        name: "OpenBLAS", purpose: "GEMM comparison in benchmarks only", debianPackage: "libopenblas0",
        homebrewFormula: "openblas", index: 2)

    /// Downloading checkpoints from the Hugging Face hub (`--model owner/name`).
    public static let curl = OptionalLibrary(
        name: "libcurl", purpose: "downloading models from the Hugging Face hub", debianPackage: "libcurl4",
        homebrewFormula: "curl", index: 3)

    public static let all: [OptionalLibrary] = [.sndfile, .soxr, .curl, .openblas]

    /// Where it was loaded from, or nil when it is not installed (tries to load it once).
    public var loadedFrom: String? { rl_loaded_from(index).map { String(cString: $0) } }

    public var isAvailable: Bool { loadedFrom != nil }

    /// The library's own version string, when it is loaded and reports one.
    public var version: String? {
        switch index {
        case 0: rl_sndfile_load().flatMap { $0.pointee.version_string() }.map { String(cString: $0) }
        case 1: rl_soxr_load().flatMap { $0.pointee.version() }.map { String(cString: $0) }
        case 2: rl_openblas_load().flatMap { $0.pointee.get_config() }.map { String(cString: $0) }
        case 3: nil
        default: nil
        }
    }

    /// One line naming what to install.
    public var installHint: String {
        "install \(debianPackage) (apt-get install \(debianPackage)) or, on macOS, brew install \(homebrewFormula)"
    }

    public var description: String { name }
}
