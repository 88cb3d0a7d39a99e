// Builds a VoicePrompt from a reference recording (Base checkpoints): the x-vector from the
// ECAPA-TDNN speaker encoder and, for in-context cloning, the reference codes from the codec
// encoder. Upstream: `Qwen3TTSModel.create_voice_clone_prompt` (inference wrapper).

import AudioIO
import Foundation

public final class VoiceCloner: @unchecked Sendable {
    public let speakerEncoder: SpeakerEncoder
    public let speechEncoder: SpeechEncoder
    let hiddenSize: Int

    /// Loads the encoders of a Base checkpoint folder.
    public init(model: Qwen3TTSModel) throws {
        guard model.kind == .base else {
            throw GenerationError.invalidRequest(
                "voice cloning needs a Base checkpoint; this one is \(model.kind.rawValue) (use --speaker or --instruct instead)")
        }
        let weights = try SafeTensorsCheckpoint(directory: model.directory)
        speakerEncoder = try SpeakerEncoder(checkpoint: weights, config: model.config.speakerEncoderConfig, backend: model.backend)
        speechEncoder = try SpeechEncoder(directory: model.directory + "/speech_tokenizer", backend: model.backend)
        hiddenSize = model.config.talkerConfig.hiddenSize
    }

    /// A prompt from mono 24 kHz samples. Without `xVectorOnly` the transcript is required (ICL).
    public func prompt(samples24k: [Float], referenceText: String?, xVectorOnly: Bool) throws -> VoicePrompt {
        let text = referenceText.flatMap { $0.isEmpty ? nil : $0 }
        if !xVectorOnly && text == nil {
            throw GenerationError.invalidRequest(
                "in-context cloning needs the transcript of the reference audio (--ref-text); or use --x-vector-only")
        }
        let xVector = try speakerEncoder.embed(samples24k: samples24k)
        let codes = xVectorOnly ? nil : try speechEncoder.encode(samples24k: samples24k)
        return VoicePrompt(xVector: xVector, referenceCodes: codes, referenceText: xVectorOnly ? nil : text)
    }

    /// A prompt from an audio file (WAV, FLAC, MP3...): mixed to mono, resampled to 24 kHz, checked
    /// for length and silence (`maxSeconds` bounds the reference).
    public func prompt(audioFile path: String, referenceText: String?, xVectorOnly: Bool, maxSeconds: Double = 60) throws -> VoicePrompt {
        let samples = try ReferenceAudio.load(path: path, maxSeconds: maxSeconds)
        return try prompt(samples24k: samples, referenceText: referenceText, xVectorOnly: xVectorOnly)
    }
}
