// `qwen3-tts doctor`: what this machine gives the engine — CPU features and the kernels chosen,
// and which optional system libraries were found (with what to install for the missing ones).

import ArgumentParser
import AudioIO
import Foundation
import TensorCore

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show CPU features, the kernels in use and which optional libraries were found.")

    func run() throws {
        print("qwen3-tts \(Qwen3TTSCommand.version)")
        #if arch(x86_64)
        let arch = "x86_64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "other"
        #endif
        print("cpu: \(arch), \(ProcessInfo.processInfo.activeProcessorCount) cores available")
        for f in Kernels.cpuFeatures {
            print("  \(f.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(f.present ? "yes" : "no")")
        }
        print("kernels: \(Kernels.isaName) (QWEN3TTS_ISA=portable|avx2|avx512 caps it)")
        print("optional libraries (loaded at run time; everything else works without them):")
        for lib in OptionalLibrary.all {
            let name = lib.name.padding(toLength: 11, withPad: " ", startingAt: 0)
            if let from = lib.loadedFrom {
                print("  \(name) found    \(from)\(lib.version.map { " (\($0))" } ?? "") — \(lib.purpose)")
            } else {
                print("  \(name) missing  \(lib.purpose): \(lib.installHint)")
            }
        }
    }
}
