// Builds the talker's prefill embeddings and the trailing text queue for every mode, exactly as
// `Qwen3TTSForConditionalGeneration.generate` / `generate_icl_prompt` do (modeling_qwen3_tts.py),
// with the strings of the inference wrapper (`_build_assistant_text`, `_build_ref_text`,
// `_build_instruct_text`). Every prompt position is a text-track vector, a codec-track vector,
// or their sum.

import Foundation

/// How the text enters the prompt. `.streaming` feeds the text one token per generated frame
/// (the official `non_streaming_mode=False`); `.nonStreaming` puts all of it in the prefill.
public enum TextLayout: String, Sendable, Codable {
    case streaming
    case nonStreaming = "non-streaming"
}

/// What to say and in which voice.
public struct SpeechRequest: Sendable {
    public var text: String
    /// Language name (case-insensitive) or nil/"auto".
    public var language: String?
    /// CustomVoice speaker name (case-insensitive).
    public var speaker: String?
    /// Style instruction (VoiceDesign; CustomVoice 1.7B).
    public var instruct: String?
    /// Voice to clone (Base).
    public var voice: VoicePrompt?
    /// nil means the official default for the model kind.
    public var textLayout: TextLayout?

    public init(text: String, language: String? = nil, speaker: String? = nil, instruct: String? = nil,
                voice: VoicePrompt? = nil, textLayout: TextLayout? = nil) {
        self.text = text
        self.language = language
        self.speaker = speaker
        self.instruct = instruct
        self.voice = voice
        self.textLayout = textLayout
    }
}

/// A built prompt: prefill rows, the text queue consumed one item per decode step, and TPAD.
public struct Prompt: Sendable {
    public var prefill: [[Float]]
    public var trailingText: [[Float]]
    public var padEmbedding: [Float]
    /// Number of tokens of the text to speak (drives the frame budget).
    public var textTokenCount: Int
    public var layout: TextLayout
    /// Warnings for the user (e.g. an instruction this model size ignores).
    public var notes: [String] = []
}

struct PromptBuilder {
    let config: ModelConfig
    let talker: Talker
    let codePredictor: CodePredictor
    let tokenizer: Qwen2Tokenizer
    let backend: Backend

    /// The official default text layout per model kind (generate_custom_voice / generate_voice_design
    /// default to non-streaming, generate_voice_clone to streaming).
    static func defaultLayout(for kind: ModelKind) -> TextLayout {
        kind == .base ? .streaming : .nonStreaming
    }

    func build(_ r: SpeechRequest) throws -> Prompt {
        let t = config.talkerConfig
        let kind = config.ttsModelType
        var notes: [String] = []
        guard !r.text.isEmpty else { throw GenerationError.invalidRequest("the text to speak is empty") }

        // Which voice inputs this model kind accepts.
        var speaker = r.speaker.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        var instruct = r.instruct.flatMap { $0.isEmpty ? nil : $0 }
        switch kind {
        case .customVoice:
            guard let s = speaker else {
                throw GenerationError.invalidRequest(
                    "this CustomVoice model needs --speaker; available: \(t.spkId.keys.sorted().joined(separator: ", "))")
            }
            guard t.spkId[s] != nil else {
                throw GenerationError.invalidRequest(
                    "unknown speaker '\(r.speaker!)'; available: \(t.spkId.keys.sorted().joined(separator: ", "))")
            }
            guard r.voice == nil else { throw GenerationError.invalidRequest("a CustomVoice model cannot clone a voice; use a Base model") }
            if instruct != nil, let size = config.ttsModelSize, "0b6".contains(size) {
                notes.append("the 0.6B CustomVoice model ignores --instruct (as the official package does)")
                instruct = nil
            }
        case .voiceDesign:
            guard speaker == nil else { throw GenerationError.invalidRequest("a VoiceDesign model has no built-in speakers; describe the voice with --instruct") }
            guard r.voice == nil else { throw GenerationError.invalidRequest("a VoiceDesign model cannot clone a voice; use a Base model") }
        case .base:
            guard speaker == nil else { throw GenerationError.invalidRequest("a Base model has no built-in speakers; give a reference voice to clone") }
            guard r.voice != nil else { throw GenerationError.invalidRequest("a Base model clones a voice: give --ref-audio or --voice") }
            if instruct != nil {
                notes.append("a Base model takes no instruction; --instruct is ignored")
                instruct = nil
            }
            speaker = nil
        }
        if let v = r.voice {
            try v.validate(hiddenSize: t.hiddenSize, codeGroups: t.numCodeGroups, codebookSize: t.codePredictorConfig.vocabSize)
        }

        // Language id, with the dialect override of dialect speakers.
        let language = (r.language ?? "auto").lowercased()
        var languageID: Int?
        if language != "auto" {
            guard !language.contains("dialect"), let id = t.codecLanguageId[language] else {
                let supported = ["auto"] + t.codecLanguageId.keys.filter { !$0.contains("dialect") }.sorted()
                throw GenerationError.invalidRequest("unsupported language '\(r.language!)'; supported: \(supported.joined(separator: ", "))")
            }
            languageID = id
        }
        if language == "chinese" || language == "auto", let s = speaker, case .dialect(let d)? = t.spkIsDialect[s] {
            languageID = t.codecLanguageId[d]
        }

        // Token ids.
        let ids = tokenizer.encode("<|im_start|>assistant\n" + r.text + "<|im_end|>\n<|im_start|>assistant\n")
        guard ids.count > 8 else { throw GenerationError.invalidRequest("the text to speak is empty after tokenization") }
        let role = Array(ids[0..<3])
        let textIDs = Array(ids[3..<(ids.count - 5)])

        // Special text vectors.
        let special = try talker.textEmbeddings([config.ttsBosTokenId, config.ttsEosTokenId, config.ttsPadTokenId], backend: backend)
        let (tbos, teos, tpad) = (special[0], special[1], special[2])
        func sum(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 + $1 } }
        func codec(_ id: Int) -> [Float] { talker.codecEmbedding(id, backend: backend) }

        // Codec control prefix K.
        let control = languageID.map { [t.codecThinkId, t.codecThinkBosId, $0, t.codecThinkEosId] }
            ?? [t.codecNothinkId, t.codecThinkBosId, t.codecThinkEosId]
        var codecTrack = control.map(codec)
        if let s = speaker { codecTrack.append(codec(t.spkId[s]!)) } else if let v = r.voice { codecTrack.append(v.xVector) }
        codecTrack.append(codec(t.codecPadId))
        codecTrack.append(codec(t.codecBosId))

        // Common head: instruction block, role, control prefix over TPAD, TBOS over codec pad.
        var prefill: [[Float]] = []
        if let ins = instruct {
            prefill += try talker.textEmbeddings(tokenizer.encode("<|im_start|>user\n" + ins + "<|im_end|>\n"), backend: backend)
        }
        prefill += try talker.textEmbeddings(role, backend: backend)
        let n = codecTrack.count
        for j in 0..<(n - 2) { prefill.append(sum(tpad, codecTrack[j])) }
        prefill.append(sum(tbos, codecTrack[n - 2]))
        let bos = codecTrack[n - 1]

        let layout = r.textLayout ?? Self.defaultLayout(for: kind)
        var trailing: [[Float]] = []
        let textEmb = try talker.textEmbeddings(textIDs, backend: backend)
        if let v = r.voice, let refCodes = v.referenceCodes {
            // ICL: reference transcript + text on the text track, reference codes on the codec track.
            let refIDs = tokenizer.encode("<|im_start|>assistant\n" + (v.referenceText ?? "") + "<|im_end|>\n")
            guard refIDs.count > 5 else { throw GenerationError.invalidRequest("the reference transcript is empty after tokenization") }
            let refEmb = try talker.textEmbeddings(Array(refIDs[3..<(refIDs.count - 2)]), backend: backend)
            let textTrack = refEmb + textEmb + [teos]
            var codes: [[Float]] = [bos]
            let frameSum = backend.makeBuffer(count: t.hiddenSize), row = backend.makeBuffer(count: t.hiddenSize)
            for frame in refCodes {
                talker.codecEmbeddings([frame[0]], into: frameSum.pointer, backend: backend)
                codePredictor.addCodeEmbeddings(Array(frame.dropFirst()), into: frameSum.pointer, scratch: row.pointer, backend: backend)
                codes.append(backend.read(frameSum.pointer, count: t.hiddenSize))
            }
            switch layout {
            case .nonStreaming:
                let pad = codec(t.codecPadId)
                prefill += textTrack.map { sum($0, pad) }
                prefill += codes.map { sum($0, tpad) }
            case .streaming:
                if textTrack.count > codes.count {
                    for j in codes.indices { prefill.append(sum(textTrack[j], codes[j])) }
                    trailing = Array(textTrack[codes.count...])
                } else {
                    for j in codes.indices { prefill.append(sum(j < textTrack.count ? textTrack[j] : tpad, codes[j])) }
                }
            }
        } else {
            switch layout {
            case .streaming:
                prefill.append(sum(textEmb[0], bos))
                trailing = Array(textEmb.dropFirst()) + [teos]
            case .nonStreaming:
                let pad = codec(t.codecPadId)
                prefill += (textEmb + [teos]).map { sum($0, pad) }
                prefill.append(sum(tpad, bos))
            }
        }
        return Prompt(prefill: prefill, trailingText: trailing, padEmbedding: tpad,
                      textTokenCount: textIDs.count, layout: layout, notes: notes)
    }
}
