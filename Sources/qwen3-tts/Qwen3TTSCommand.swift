// The `qwen3-tts` command line: one subcommand per file.

import ArgumentParser

@main
struct Qwen3TTSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qwen3-tts",
        abstract: "Qwen3-TTS text to speech, in Swift.",
        subcommands: [SpeakCommand.self, TokenizeCommand.self, EncodeCommand.self, DecodeCommand.self, VoiceCommand.self,
                      DevCommand.self])
}
