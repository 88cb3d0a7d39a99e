// Which split regex the official package ends up using (HF `pre_tokenizers.Split`, first step of
// the Qwen2 pre-tokenizer), and the rule that picks it.
//
// qwen-tts 0.1.1 loads the processor with `AutoProcessor.from_pretrained(dir, fix_mistral_regex=True)`.
// In transformers 4.57.3 (`PreTrainedTokenizerBase._patch_mistral_regex`) that flag replaces the
// Qwen2 split regex by a "fixed Mistral" regex when ALL of these hold for a local folder:
//   * the tokenizer's base vocabulary (without added tokens) has more than 100000 entries;
//   * the folder has a config.json;
//   * that config.json does not exempt the folder: it is exempt when its `transformers_version`
//     is >= 5.0.0, or is <= 4.57.2 while `model_type` is present and not a Mistral family type.
// A config.json with `transformers_version` 4.57.3 (or none) therefore gets the Mistral regex even
// for a Qwen model. Verified against the official loader for every branch (fixture
// mistral_regex_decisions.json); the tiny test tokenizers never trigger it (vocabulary too small).


/// The regex that splits text into pre-tokens before byte-level BPE.
public enum SplitPattern: String, Sendable, CaseIterable {
    /// The Qwen2 tokenizer's own pattern (tokenizer.json / Qwen2Converter).
    case qwen2
    /// The pattern transformers 4.57.3 installs for `fix_mistral_regex=True` (case-aware letter
    /// runs, marks inside words, no contraction rule).
    case mistralFixed

    /// The pattern as the official engine spells it.
    public var regex: String {
        switch self {
        case .qwen2:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .mistralFixed:
            return #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The pattern a `tokenizer.json` Split step names, if it is one of ours.
    init?(regex: String) {
        guard let match = Self.allCases.first(where: { $0.regex == regex }) else { return nil }
        self = match
    }

    /// Whether qwen-tts 0.1.1 + transformers 4.57.3 swap in `.mistralFixed` for a folder.
    /// - Parameters:
    ///   - baseVocabularySize: entries of the BPE model vocabulary, added tokens excluded.
    ///   - config: the folder's parsed config.json, or nil when the folder has none.
    static func officialPackageUsesMistralFix(baseVocabularySize: Int, config: TokenizerJSON?) -> Bool {
        guard baseVocabularySize > 100_000, let config else { return false }
        let modelType = config["model_type"]?.stringValue
        if let versionText = config["transformers_version"]?.stringValue, !versionText.isEmpty {
            let version = PackageVersion(versionText)
            if version <= PackageVersion("4.57.2") {
                let mistralTypes: Set<String> = ["mistral", "mistral3", "voxtral", "ministral", "pixtral"]
                if let modelType, !mistralTypes.contains(modelType) { return false }
            } else if version >= PackageVersion("5.0.0") {
                return false
            }
        }
        return true
    }
}
