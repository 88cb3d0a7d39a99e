// The `qwen3-tts` command line: one subcommand per file.

import ArgumentParser

@main
struct Qwen3TTSCommand: AsyncParsableCommand {
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "qwen3-tts",
        abstract: "Qwen3-TTS text to speech, in Swift.",
        discussion: "`qwen3-tts doctor` shows the CPU features in use and which optional libraries were found.",
        version: version,
        subcommands: [SpeakCommand.self, TokenizeCommand.self, EncodeCommand.self, DecodeCommand.self, VoiceCommand.self,
                      ServeCommand.self, BenchCommand.self, DoctorCommand.self, DevCommand.self])
}
