// A voice to clone (Base checkpoints): the speaker x-vector and, for in-context learning (ICL),
// the reference recording's codes and transcript. Upstream: `VoiceClonePromptItem`
// (qwen_tts/inference/qwen3_tts_model.py).

import Foundation

public struct VoicePrompt: Sendable, Equatable, Codable {
    /// Speaker embedding from the ECAPA-TDNN encoder; its length is the talker hidden size.
    public var xVector: [Float]
    /// Codec codes of the reference audio, [frames][16]; nil in x-vector-only mode.
    public var referenceCodes: [[Int]]?
    /// Transcript of the reference audio; required with reference codes.
    public var referenceText: String?

    /// In-context learning uses the reference codes and transcript; otherwise only the x-vector.
    public var isICL: Bool { referenceCodes != nil }

    public init(xVector: [Float], referenceCodes: [[Int]]? = nil, referenceText: String? = nil) {
        self.xVector = xVector
        self.referenceCodes = referenceCodes
        self.referenceText = referenceText
    }

    /// Checks the prompt against a model: dimensions, code ranges, transcript presence.
    public func validate(hiddenSize: Int, codeGroups: Int, codebookSize: Int) throws {
        guard xVector.count == hiddenSize else {
            throw GenerationError.invalidRequest(
                "voice prompt x-vector has \(xVector.count) values but this model needs \(hiddenSize) (made for another model size?)")
        }
        guard xVector.allSatisfy(\.isFinite) else { throw GenerationError.invalidRequest("voice prompt x-vector holds NaN or infinity") }
        if let codes = referenceCodes {
            guard !codes.isEmpty else { throw GenerationError.invalidRequest("voice prompt reference codes are empty") }
            for (t, frame) in codes.enumerated() {
                guard frame.count == codeGroups else {
                    throw GenerationError.invalidRequest("voice prompt reference frame \(t) has \(frame.count) codes, expected \(codeGroups)")
                }
                guard frame.allSatisfy({ $0 >= 0 && $0 < codebookSize }) else {
                    throw GenerationError.invalidRequest("voice prompt reference frame \(t) has a code outside 0..<\(codebookSize)")
                }
            }
            guard let text = referenceText, !text.isEmpty else {
                throw GenerationError.invalidRequest("in-context cloning needs the reference transcript (--ref-text), or use x-vector-only mode")
            }
        }
    }
}
