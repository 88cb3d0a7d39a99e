// `qwen3-tts tokenize`: the text tokenizer's ids for a raw string, as a JSON array on stdout.
// The ids are those of the official tokenizer (no chat template and no BOS/EOS are added).

import ArgumentParser
import Foundation
import Qwen3TTS

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the text tokenizer's ids for a string as a JSON array.",
        discussion: """
            The string is tokenized as given: wrap it in the prompt template yourself \
            ("<|im_start|>assistant\\n...<|im_end|>\\n") to see the ids the model is fed.
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "Text to tokenize (taken verbatim).") var text: String?
    @Option(help: "Read the text to tokenize from this UTF-8 file (verbatim, trailing newline included).")
    var textFile: String?

    func validate() throws {
        if text != nil && textFile != nil { throw ValidationError("give either --text or --text-file, not both") }
        if text == nil && textFile == nil { throw ValidationError("give --text T or --text-file F") }
    }

    func run() throws {
        let input: String
        if let text {
            input = text
        } else {
            let path = textFile!
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
            guard let decoded = String(data: data, encoding: .utf8) else { throw CLIError("\(path) is not valid UTF-8") }
            input = decoded
        }
        let directory = try model.resolveDirectory()
        let tokenizer: Qwen2Tokenizer
        do {
            tokenizer = try Qwen2Tokenizer(directory: URL(fileURLWithPath: directory))
        } catch let error as TokenizerError {
            throw CLIError(error.description)
        }
        let ids = tokenizer.encode(input)
        print("[" + ids.map(String.init).joined(separator: ", ") + "]")
    }
}
