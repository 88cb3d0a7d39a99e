#!/usr/bin/env python3
"""Make the text-tokenizer fixtures under Tests/Fixtures/tokenizer with the OFFICIAL tokenizer.

The official package (qwen-tts 0.1.1, transformers 4.57.3, tokenizers 0.22.x) loads the text
tokenizer as `AutoProcessor.from_pretrained(model_dir, fix_mistral_regex=True)`; the processor's
tokenizer is `Qwen2TokenizerFast`.  Every expected id list written here comes from exactly that
call (`processor(text=..., return_tensors="pt", padding=True)`, as `Qwen3TTSModel._tokenize_texts`
does); nothing is computed by hand.

Tokenizer folders written (each also holds config.json + preprocessor_config.json so the official
AutoProcessor route works, as in a real checkpoint folder):
  tiny/               the harness's tiny BPE (build_text_tokenizer in shared/reference/build_model.py)
  multilingual/       byte-level BPE, vocab ~6000, trained here on English/CJK/emoji/digits/code
  multilingual_json/  the same tokenizer as a single tokenizer.json (merges as [a, b] pairs)
  multilingual_json_legacy/  same, merges in the older "a b" string form
  flags/              tiny BPE + extra added tokens exercising lstrip/rstrip/single_word/normalized
The Mistral-regex case (qwen_tts passes fix_mistral_regex=True; transformers 4.57.3 then swaps the
split regex when the base vocabulary has more than 100000 entries and config.json says
transformers_version 4.57.3 or none) needs a >100000-entry vocabulary; committing one would cost
megabytes, so both this script and the Swift test build it from multilingual/ with the recipe in
`build_padded_folder` (vocab padded with unreachable "<pad_K>" tokens up to PAD_TO entries).

Outputs:
  Tests/Fixtures/tokenizer/corpus.json                hand-written + seeded random strings
  Tests/Fixtures/tokenizer/expected_<name>.json       ids (+ decoded text) per corpus string
  Tests/Fixtures/tokenizer/mistral_regex_decisions.json  when the official loader swaps the regex

Usage:  /root/venv-ref/bin/python scripts/tokenizer/make_tokenizer_goldens.py [--out Tests/Fixtures/tokenizer]
"""
import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import unicodedata

# ----------------------------------------------------------------------------------------
# Shared with the harness (shared/reference/build_model.py): added tokens, regex, tiny corpus
# ----------------------------------------------------------------------------------------
QWEN_ADDED_TOKENS = [
    ("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
    ("<|object_ref_start|>", True), ("<|object_ref_end|>", True), ("<|box_start|>", True),
    ("<|box_end|>", True), ("<|quad_start|>", True), ("<|quad_end|>", True),
    ("<|vision_start|>", True), ("<|vision_end|>", True), ("<|vision_pad|>", True),
    ("<|image_pad|>", True), ("<|video_pad|>", True), ("<tool_call>", False),
    ("</tool_call>", False), ("<|fim_prefix|>", False), ("<|fim_middle|>", False),
    ("<|fim_suffix|>", False), ("<|fim_pad|>", False), ("<|repo_name|>", False),
    ("<|file_sep|>", False), ("<tool_response>", False), ("</tool_response>", False),
    ("<think>", False), ("</think>", False), ("<|audio_start|>", True),
    ("<|audio_end|>", True), ("<tts_pad>", True), ("<tts_text_bos>", True),
    ("<tts_text_eod>", True), ("<tts_text_bos_single>", True), ("<|audio_pad|>", True),
]
ADDITIONAL_SPECIAL_TOKENS = [
    "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
    "<|audio_start|>", "<|audio_end|>", "<tts_pad>", "<tts_text_bos>", "<tts_text_bos_single>",
    "<|audio_pad|>",
]
QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
# What transformers 4.57.3 installs when fix_mistral_regex fires (tokenization_utils_base.py).
MISTRAL_FIXED_REGEX = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|"
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}|"
    r" ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
TINY_CORPUS = """\
Hello world. This is a tiny random Qwen3 text to speech oracle model.
The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step.
Speak in a calm, warm and friendly voice. Speak quickly with an excited tone.
A young woman with a clear and bright voice reads the news.
An old man with a deep and slow voice tells a story by the fire.
Please read the following sentence clearly and slowly.
Today is a sunny day and the birds are singing in the trees.
Numbers like 1, 2, 3, 42 and 2026 should also be tokenized.
The weather forecast says it will rain tomorrow afternoon in the city.
She sells sea shells by the sea shore. Peter Piper picked a peck of pickled peppers.
Text to speech systems convert written language into spoken audio.
The model generates sixteen codebooks for every frame of speech at twelve point five hertz.
Good morning, how are you doing today? I am fine, thank you very much!
Voice cloning uses a short reference recording and its transcript.
This reference audio was synthesized with espeak for testing purposes only.
"""
CHAT_LINES = [
    "<|im_start|>assistant\n{t}<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>user\n{t}<|im_end|>\n",
    "<|im_start|>assistant\n{t}<|im_end|>\n",
]

PAD_TO = 100_100          # padded base-vocabulary size for the Mistral-regex case (> 100000)
RANDOM_SEED = 20260117
RANDOM_COUNT = 320

# ----------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------

def new_bpe(normalize):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    tok = Tokenizer(models.BPE(unk_token=None))
    if normalize:
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    return tok


def train(tok, texts, vocab_size):
    from tokenizers import pre_tokenizers, trainers
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[],
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def tiny_training_texts():
    # Same as the harness: the lines, wrapped in the chat templates, special markers removed.
    lines = [l for l in TINY_CORPUS.splitlines() if l.strip()]
    out = []
    for _ in range(20):
        for l in lines:
            for tmpl in CHAT_LINES:
                out.append(tmpl.format(t=l).replace("<|im_start|>", "").replace("<|im_end|>", ""))
    return out


EN_LINES = TINY_CORPUS.splitlines() + [
    "It's a beautiful morning; we're going to the park, aren't we?",
    "They'll arrive at 10:30 a.m. on Monday, 12 January 2026.",
    "I'd like two coffees and a croissant, please. That'll be $7.50.",
    "The café on the corner serves crème brûlée and jalapeño nachos.",
    "Don't worry, you've done nothing wrong; it wasn't your fault.",
    "Visit https://example.com/docs/index.html or email support@example.org for help.",
    "Chapter 3: The Return of the King (continued)... \"Where are we?\" she asked.",
    "Temperature: -12.5 degrees Celsius; humidity 87%; wind 15 km/h from the north-east.",
    "Alice's adventures in Wonderland were written by Lewis Carroll in 1865.",
    "A naïve résumé from a coöperative façade: déjà vu, Übermensch, smörgåsbord.",
]
ZH_LINES = [
    "今天天气很好，我们一起去公园散步吧。", "你好，世界！欢迎使用语音合成系统。",
    "我们中国人民热爱和平，也热爱生活。", "这本书非常有意思，我已经看了三遍了。",
    "请用温柔的声音朗读下面这段文字。", "明天下午三点在会议室开会，请准时参加。",
    "人工智能正在改变我们的生活和工作方式。", "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。",
    "北京是中华人民共和国的首都。", "他说：“我明天要去上海出差，大概一周后回来。”",
    "这个模型每秒生成十二点五帧语音编码。", "学习中文需要耐心和坚持，每天练习一点点。",
    "一只小猫坐在窗台上，看着外面的雨。", "我的电话号码是13800138000，有事请打给我。",
    "语音克隆只需要三秒钟的参考音频。", "老师让我们用普通话朗读课文。",
]
JA_LINES = [
    "こんにちは、世界！今日はいい天気ですね。", "東京は日本の首都です。人口はとても多いです。",
    "私は毎朝コーヒーを飲みながら新聞を読みます。", "ありがとうございます。またよろしくお願いします。",
    "カタカナとひらがなと漢字を混ぜて書きます。", "この音声合成モデルはとても自然な声を出します。",
    "すみません、駅はどこですか？", "桜の花が咲いて、春が来ました。",
    "プログラミングは楽しいです。スイフトで書いています。", "明日の会議は午後二時から始まります。",
]
KO_LINES = [
    "안녕하세요, 세계! 오늘 날씨가 정말 좋네요.", "저는 한국어를 공부하고 있습니다.",
    "서울은 대한민국의 수도입니다.", "감사합니다. 좋은 하루 보내세요!",
    "이 음성 합성 모델은 아주 자연스러운 목소리를 냅니다.", "내일 오후 세 시에 회의가 있어요.",
    "한글은 세종대왕이 만든 문자입니다.", "커피 한 잔 주세요. 얼마예요?",
]
EMOJI_LINES = [
    "I love this! 😀😂🥰👍🎉", "Family: 👨‍👩‍👧‍👦 and couple 👩‍❤️‍👨 and 🏳️‍🌈 flag",
    "Thumbs 👍🏻👍🏼👍🏽👍🏾👍🏿 waving 👋🏽", "Flags 🇺🇸🇨🇳🇯🇵🇰🇷🇩🇪🇫🇷🇬🇧",
    "Weather ☀️🌧️❄️⛈️ and hearts ❤️💙💚💛🧡💜", "Keycaps 1️⃣2️⃣3️⃣#️⃣*️⃣ and ©️®️™️",
    "Food 🍕🍔🍣🍜🥟🍰 drinks ☕🍵🍺", "今天很开心😊明天见👋", "좋아요👍 최고예요🎉",
]
CODE_LINES = [
    "def tokenize(text: str) -> list[int]:\n    return [ord(c) for c in text]\n",
    "for (i, x) in xs.enumerated() { print(i, x) }",
    "if (a != b && c <= d || e >= f) { return -1; }",
    "{\"name\": \"qwen3-tts\", \"version\": \"0.1.1\", \"ids\": [1, 2, 3]}",
    "$ swift build -c release --scratch-path .build-tok && ./run.sh --model ./ckpt",
    "x = np.zeros((4, 16), dtype=np.float32)  # shape [4, 16]",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "let url = URL(fileURLWithPath: \"/tmp/out.wav\")\n\tguard ok else { throw Err.bad }",
]


def multilingual_training_texts():
    rnd = random.Random(1234)
    base = EN_LINES + ZH_LINES + JA_LINES + KO_LINES + EMOJI_LINES + CODE_LINES
    texts = []
    for _ in range(12):
        texts.extend(base)
    # Shuffled mixtures so merges across scripts and digit runs appear often enough.
    for _ in range(1500):
        k = rnd.randint(2, 5)
        parts = [rnd.choice(base) for _ in range(k)]
        num = str(rnd.randint(0, 10 ** rnd.randint(1, 9)))
        texts.append(" ".join(parts) + " " + num)
    # Character soup over common CJK / Hangul / kana so many distinct characters get merged.
    zh_chars = "".join(sorted(set("".join(ZH_LINES)) - set("，。！：“”0123456789")))
    ja_chars = "".join(sorted(set("".join(JA_LINES)) - set("、。！？")))
    ko_chars = "".join(sorted(set("".join(KO_LINES)) - set(",.! ?")))
    for chars in (zh_chars, ja_chars, ko_chars):
        for _ in range(800):
            texts.append("".join(rnd.choice(chars) for _ in range(rnd.randint(2, 12))))
    # A wider pool of ideographs and Hangul syllables (byte -> character merges for many of them).
    wide_zh = [chr(c) for c in rnd.sample(range(0x4E00, 0x9FA6), 1100)]
    wide_ko = [chr(c) for c in rnd.sample(range(0xAC00, 0xD7A4), 350)]
    for pool in (wide_zh, wide_ko):
        for _ in range(1500):
            texts.append("".join(rnd.choice(pool) for _ in range(rnd.randint(2, 10))))
    return texts


def save_folder(tok, out_dir, extra_added=()):
    """vocab.json + merges.txt + tokenizer_config.json (harness layout) + config/preprocessor json."""
    os.makedirs(out_dir, exist_ok=True)
    tok.model.save(out_dir)  # vocab.json + merges.txt ("#version: 0.2" header)
    n = tok.get_vocab_size()
    added = {}
    for i, (content, special) in enumerate(QWEN_ADDED_TOKENS):
        added[str(n + i)] = {
            "content": content, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False, "special": special,
        }
    for j, entry in enumerate(extra_added):
        full = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": False}
        full.update(entry)
        added[str(n + len(QWEN_ADDED_TOKENS) + j)] = full
    write_tokenizer_config(out_dir, added)
    write_model_side_files(out_dir)
    return n


def write_tokenizer_config(out_dir, added):
    tok_cfg = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": ADDITIONAL_SPECIAL_TOKENS,
        "audio_bos_token": "<|audio_start|>",
        "audio_eos_token": "<|audio_end|>",
        "audio_token": "<|audio_pad|>",
        "bos_token": None,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 131072,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tok_cfg, f, indent=2, ensure_ascii=False)


def write_model_side_files(out_dir, transformers_version="4.57.3", model_type="qwen3_tts"):
    """A real checkpoint folder has config.json; AutoProcessor needs it (and the processor class)."""
    cfg = {"model_type": model_type}
    if transformers_version is not None:
        cfg["transformers_version"] = transformers_version
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
        json.dump({"padding_side": "left", "padding_value": 0.0, "processor_class": "Qwen3TTSProcessor"}, f, indent=2)


def build_padded_folder(src_dir, out_dir, pad_to=PAD_TO, transformers_version="4.57.3", model_type="qwen3_tts",
                        with_config=True):
    """The Mistral-regex case: src vocab + unreachable '<pad_K>' tokens (ids n..pad_to-1), added tokens
    re-based to pad_to + i, merges unchanged.  Tests/Qwen3TTSTests/TokenizerTests.swift repeats this."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(src_dir, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    n = len(vocab)
    for k in range(pad_to - n):
        vocab[f"<pad_{k}>"] = n + k
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    shutil.copy(os.path.join(src_dir, "merges.txt"), os.path.join(out_dir, "merges.txt"))
    with open(os.path.join(src_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    items = sorted(cfg["added_tokens_decoder"].items(), key=lambda kv: int(kv[0]))
    cfg["added_tokens_decoder"] = {str(pad_to + i): v for i, (_, v) in enumerate(items)}
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, ensure_ascii=False)
    if with_config:
        write_model_side_files(out_dir, transformers_version=transformers_version, model_type=model_type)
    else:
        with open(os.path.join(out_dir, "preprocessor_config.json"), "w") as f:
            json.dump({"processor_class": "Qwen3TTSProcessor"}, f)


# ----------------------------------------------------------------------------------------
# The official loader
# ----------------------------------------------------------------------------------------
_REGISTERED = False


def load_official(model_dir):
    """Exactly what Qwen3TTSModel.from_pretrained does for the text side."""
    global _REGISTERED
    from transformers import AutoConfig, AutoProcessor
    from qwen_tts.core.models import Qwen3TTSConfig, Qwen3TTSProcessor
    if not _REGISTERED:
        AutoConfig.register("qwen3_tts", Qwen3TTSConfig)
        AutoProcessor.register(Qwen3TTSConfig, Qwen3TTSProcessor)
        _REGISTERED = True
    return AutoProcessor.from_pretrained(model_dir, fix_mistral_regex=True)


def load_tokenizer_only(model_dir):
    """Folders without config.json: AutoProcessor cannot resolve them; the class it would pick is used."""
    from transformers import Qwen2TokenizerFast
    return Qwen2TokenizerFast.from_pretrained(model_dir, fix_mistral_regex=True)


def split_regex_of(tokenizer):
    state = json.loads(tokenizer.backend_tokenizer.to_str())
    pre = state["pre_tokenizer"]
    first = pre["pretokenizers"][0] if pre["type"] == "Sequence" else pre
    return first["pattern"]["Regex"]


def encode_official(processor, text):
    # Qwen3TTSModel._tokenize_texts: self.processor(text=text, return_tensors="pt", padding=True)
    out = processor(text=text, return_tensors="pt", padding=True)
    return [int(x) for x in out["input_ids"][0].tolist()]


# ----------------------------------------------------------------------------------------
# Corpus
# ----------------------------------------------------------------------------------------

def hand_written_corpus():
    c = []
    add = c.append
    # --- plain English, contractions, case
    for s in [
        "Hello world.", "Hello, world!", "hello", "Hello", "HELLO", "hElLo WoRlD",
        "The quick brown fox jumps over the lazy dog.",
        "It's", "it's", "IT'S", "it'S", "we're", "WE'RE", "We'Re", "they've", "THEY'VE", "I'm", "I'M",
        "you'll", "YOU'LL", "You'Ll", "he'd", "HE'D", "don't", "DON'T", "can't", "won't",
        "'s 't 're 've 'm 'll 'd", "'S 'T 'RE 'VE 'M 'LL 'D", "''s", "'s's", "'", "''", "'x", "' s",
        "rock'n'roll", "o'clock", "the dog's bone", "James' book", "'ſ long-s fold", "'ll've",
        "eBay", "NaOH", "iPhone", "McDonald's", "pH", "mL", "HTTPServer", "XMLHttpRequest",
        "camelCaseWord", "snake_case_word", "SCREAMING_SNAKE", "ABCdef GHIjkl", "ǅungla ǈ ǋ",
        "A", "a", "I", "Ω", "ʕ", "Aʕb", "ʕA",
    ]:
        add(s)
    # --- empty and whitespace
    for s in [
        "", " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r", "\r\n", "\r\n\r\n", "\n\r", " \n", "\n ",
        " \n ", "  \n  ", "a  b", "a   b", "a\tb", "a \tb", "a\t b", "a\nb", "a\n\nb", "a \n b",
        "a\r\nb", "a\rb", "a \r b", "lone\rcarriage", "end with space ", "end with spaces   ",
        " leading space", "   leading spaces", "\tleading tab", "\nleading newline", "trailing newline\n",
        "trailing newlines\n\n\n", "  both  ", "mixed \t\n \t\n end", "x\u00a0y", "x\u2009y", "x\u3000y",
        "x\u0085y", "x\u200by", "x\u2028y\u2029z", "\u00a0\u00a0lead", "trail\u3000\u3000", "x\u000by\u000cz",
        "x\u001cy\u001dz\u001ey\u001fz", "\u1680ogham", "a\u202fb\u205fc", "  \u00a0 \u3000 \n",
        "x \u0085 y", "\u200b", "\ufeffBOM text", "tab\tseparated\tvalues\t1\t2",
    ]:
        add(s)
    # --- digits and numbers
    for s in [
        "0", "7", "42", "123", "2026", "1234567890", "3.14159", "-1", "+44 20 7946 0958", "1,000,000",
        "1.5e-10", "0x1F600", "v1.2.3", "12:30:45", "2026-01-17", "50%", "$7.50", "€100", "¥500",
        "a1b2c3", "abc123def", "１２３", "٣٤٥", "१२३", "Ⅻ roman", "½ ¾ ⅓", "²³ superscripts", "①②③",
        "007", "9" * 40,
    ]:
        add(s)
    # --- punctuation runs, symbols, URLs, code
    for s in [
        "...", "!!!", "?!?!", "---", "***", "!!!\n", "...\n\n", "?\r\n", ":)\n", "(a)", "[b]", "{c}", "<d>",
        "a...b", "a -- b", "a--b", "\"quoted\"", "'single'", "«guillemets»", "„German“", "「日本語」",
        "¿Qué?", "¡Hola!", "#hashtag @mention", "C++ & C#", "a/b/c", "a // b", "http://", "//\n",
        "https://www.example.com/path/to/page?query=1&x=y#frag", "ftp://files.example.org/pub/",
        "user@example.com", "www.qwen.ai", "path/to/file.txt", "C:\\Windows\\System32",
        "<html><body>Hi</body></html>", "print('hello')", "x = [1, 2, 3]  # list",
        "if a>=b: return a<=c", "λx.x+1", "∀x∈ℝ: x²≥0", "→ ← ↑ ↓", "•·•·•", "™®©", "♪♫ music ♬",
        "!!\n/x", "?\r\n//y", "...\n\n/\n/z", "a.\n/\r/b", "x:\n/ y",
    ] + CODE_LINES:
        add(s)
    # --- CJK, Japanese, Korean
    for s in ZH_LINES + JA_LINES + KO_LINES + [
        "中", "中文", "你好", "你好世界", "我们", "今天天气很好", "北京欢迎你！", "2026年1月17日",
        "第3章 第12节", "价格：¥128.00元", "中文English混合text", "中 文 空 格", "中\n文",
        "ひらがな", "カタカナ", "ｶﾀｶﾅ half-width", "漢字とかなの混じり文", "ＡＢＣ全角", "ﾟ゛゜",
        "한국어", "한", "안녕", "ㄱㄴㄷ", "각 conjoining jamo", "각\u1100\u1161", "訓民正音 한글",
        "𠀀𠀁 CJK Ext B", "𪜀 ext C", "\U00031350 ext H", "\U0002EBF0 ext I",
    ]:
        add(s)
    # --- other scripts
    for s in [
        "Привет, мир!", "Ελληνικά γράμματα", "שלום עולם", "مرحبا بالعالم", "नमस्ते दुनिया", "हिन्दी",
        "สวัสดีครับ", "ສະບາຍດີ", "ជំរាបសួរ", "ሰላም", "Ողջույն", "გამარჯობა", "Tiếng Việt có dấu",
        "Zażółć gęślą jaźń", "Straße ẞ groß", "İstanbul ıi", "Ǆemal", "ﬁ ﬂ ligatures", "𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄",
        "Ꭰ Cherokee ꭰ", "𐐀𐐨 Deseret", "ᚠᚢᚦ runes", "𓀀𓀁 hieroglyphs", "ꦲꦏ꧀ꦱꦫ", "ᠮᠣᠩᠭᠣᠯ",
    ]:
        add(s)
    # --- combining marks and NFC
    for s in [
        "e\u0301", "E\u0301", "cafe\u0301", "café", "e\u0301\u0301", "e\u0327\u0301", "e\u0301\u0327",
        "a\u0308o\u0308u\u0308", "n\u0303", "\u0301alone", " \u0301", "x\u0301y", "\u1e0b\u0323",
        "d\u0323\u0307", "q\u0307\u0323", "\u0041\u030a", "\u212b angstrom", "\u2126 ohm", "\u212a kelvin",
        "\u1100\u1161\u11a8", "\u1100\u1161", "\uac00\u11a8", "\u0915\u093c", "\u0929", "\u00c5\u0301",
        "o\u0302\u0323", "\u1ec7", "a\u0315\u0300\u05ae\u0300b", "\u0f73 tibetan", "a\u0f71\u0f72\u0301",
        "a\u07fd\u0301 nko", "a\u0d3b\u0301", "a\u1df6\u0316", "\u0e01\u0e34\u0e4a", "z\u0360z",
        "e\u20dd enclosing", "1\u20e3", "a\u200db", "a\u200cb", "\u0644\u0627", "\u05e9\u05c1\u05b8",
    ]:
        add(s)
    # --- emoji
    for s in EMOJI_LINES + [
        "😀", "👍🏽", "👨‍👩‍👧‍👦", "👩🏽‍💻", "🧑🏿‍🤝‍🧑🏻", "🏳️‍⚧️", "🇯🇵", "🇺🇳🇪🇺", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
        "❤️", "❤\ufe0e", "☺", "✊🏿✊🏾", "🫠🫶🏼", "🪿🫎", "😀😀😀😀😀", "a😀b", "😀 😀", "1️⃣0️⃣",
        "\U0001FA8A new emoji", "\U0001FAEA", "Done ✅ / Failed ❌",
    ]:
        add(s)
    # --- newer Unicode (15.0-17.0) and category changes: the two engines' tables differ here
    for s in [
        "\u0295\u0295", "a\u0295", "\u0295A", "X\u0295y", "\U00010940\U00010941 sidetic",
        "\U00016EA0\U00016EBB beria", "\U0001E6C0 tolong", "a\u0c5cb", "\u20c1 currency",
        "\U00011DE0\U00011DE1", "\ua7ce\ua7cf", "\U00031350\U000323B0", "\U0001CCFA",
        "\U00016FF2x", "\U00010EFA", "\u1acf\u1ae0", "test\U000323B0x",
    ]:
        add(s)
    # --- special / added tokens inside text
    for s in [
        "<|im_end|>", "<|im_start|>", "<|endoftext|>", "<tts_pad>", "<tts_text_bos>", "<tts_text_eod>",
        "<tts_text_bos_single>", "<|audio_pad|>", "<think></think>", "<tool_call>x</tool_call>",
        "hello<|im_end|>", "hello <|im_end|>", "hello<|im_end|> world", "hello <|im_end|> world",
        "<|im_end|><|im_end|>", "<|im_end|> <|im_end|>", " <tts_pad> ", "<tts_pad><tts_pad><tts_pad>",
        "<tts_pad>text<tts_text_bos>", "<|im_end", "|im_end|>", "<|im_end|", "<<|im_end|>>",
        "<|IM_END|>", "< |im_end|>", "<|im_start|>\n", "\n<|im_end|>", "<|fim_prefix|>code<|fim_suffix|>",
        "<|im_start|>user\nhello<|im_end|>\n",
        "<|im_start|>assistant\nHello world.<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>assistant\n今天天气很好。<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>assistant\n  leading spaces<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>assistant\n\nnewline first<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>assistant\nI'm fine, thanks! 😀<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>user\nSpeak in a calm, warm voice.<|im_end|>\n",
        "<|im_start|>assistant\nOkay. Yeah. I resent you.<|im_end|>\n",
    ]:
        add(s)
    # --- tokens only the `flags` folder knows (plain text elsewhere)
    for s in [
        "a <L> b", "a   <L>b", "a\t\n<L>b", "a\u3000<L>b", "<L>", "  <L>  ", "a <R>   b", "a<R>\n\nb", "<R>",
        "a  <LR>  b", "<LR><LR>", " <L><R> ", "<L> <L>", "cat", "a cat sat", "concatenate", "cat's",
        "_cat_", "cat.", "(cat)", "catcat", "猫", "我的猫很可爱", "猫 dog", "héllo", "he\u0301llo", "HÉLLO",
        "\u2126mega", "\u03a9mega", "<|im", "<|im_start|>", "<|im_sta", "ab", "abc", "xabcx",
        "e\u0301x", "\u00e9x", "o\u0301z", "\u00f3z", "  cat  ", "cat\u3000",
    ]:
        add(s)
    # --- long texts (no quadratic behaviour; BPE on long words)
    add(" ".join(EN_LINES) * 3)
    add("".join(ZH_LINES) * 4)
    add("a" * 600)
    add("ab" * 300)
    add(" " * 300 + "x")
    add("\n" * 100 + "x" + "\r\n" * 50)
    add("😀" * 120)
    add("9" * 500)
    add("!?" * 200)
    return c


def random_corpus(seed=RANDOM_SEED, count=RANDOM_COUNT):
    """Seeded random strings over assigned code points only (Python's Unicode tables; no surrogates,
    no unassigned, no noncharacters).  Mixes ASCII words, Latin-1, CJK, Hangul, emoji, marks,
    whitespace variants and random code points across all planes."""
    rnd = random.Random(seed)
    assigned = [c for c in range(0x110000)
                if not (0xD800 <= c <= 0xDFFF) and unicodedata.category(chr(c)) != "Cn"]
    marks = [c for c in range(0x300, 0x370)] + [0x0483, 0x0591, 0x05B0, 0x0610, 0x064B, 0x0901, 0x093C,
                                                 0x0E31, 0x0E48, 0x1AB0, 0x1DC0, 0x20D0, 0x302A, 0x3099, 0xFE20]
    whitespace = [" ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\n\n", "\u00a0", "\u2009", "\u3000",
                  "\u0085", "\u200b", "\u2028", "\u000b", "\u000c", "\u1680", "\u202f"]
    emoji = ["😀", "😂", "👍", "👍🏻", "👍🏿", "👨‍👩‍👧", "👩‍💻", "🏳️‍🌈", "🇯🇵", "🇫🇷", "❤️", "🎉", "🥟",
             "1️⃣", "✊🏽", "🧑‍🤝‍🧑", "\u200d", "\ufe0f", "\U0001F3FB"]
    words = ["the", "The", "speech", "voice", "it's", "I'LL", "we've", "model", "hello", "Qwen3", "tts",
             "12", "2026", "3.5", "a", "OK", "NaOH", "eBay", "<|im_end|>", "<tts_pad>", "<|im_start|>",
             "http://x.y/z", "--", "...", "!!", "?", ",", ".", "'", "\"", "(", ")", "#", "/"]
    latin1 = [chr(c) for c in range(0xA1, 0x100)]

    def piece():
        r = rnd.random()
        if r < 0.18:
            return rnd.choice(words)
        if r < 0.30:
            return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                           for _ in range(rnd.randint(1, 8)))
        if r < 0.38:
            return "".join(rnd.choice(latin1) for _ in range(rnd.randint(1, 4)))
        if r < 0.48:
            return "".join(chr(rnd.randint(0x4E00, 0x9FFF)) for _ in range(rnd.randint(1, 6)))
        if r < 0.54:
            return "".join(chr(rnd.randint(0xAC00, 0xD7A3)) for _ in range(rnd.randint(1, 4)))
        if r < 0.58:
            return "".join(chr(rnd.randint(0x3041, 0x30FA)) for _ in range(rnd.randint(1, 5)))
        if r < 0.66:
            return rnd.choice(emoji)
        if r < 0.72:
            return chr(rnd.choice(marks))
        if r < 0.84:
            return rnd.choice(whitespace)
        return chr(rnd.choice(assigned))

    out = []
    for _ in range(count):
        n = rnd.randint(1, 24)
        out.append("".join(piece() for _ in range(n)))
    return out


# ----------------------------------------------------------------------------------------
# Unicode data as the official engine sees it
# ----------------------------------------------------------------------------------------
SCALAR_CLASSES = [("L", r"\p{L}"), ("N", r"\p{N}"), ("s", r"\s"), ("Lu", r"\p{Lu}"), ("Ll", r"\p{Ll}"),
                  ("Lt", r"\p{Lt}"), ("Lm", r"\p{Lm}"), ("Lo", r"\p{Lo}"), ("M", r"\p{M}")]
NFC_TEMPLATES = ["a{}\u0316", "a\u0301{}", "a{}\u0301", "{}\u0301", "\u1100{}\u1161", "e\u0327{}\u0301"]


def to_ranges(sorted_codepoints):
    ranges = []
    for c in sorted_codepoints:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return ranges


def official_scalar_classes():
    """Membership of every code point in each regex class, asked of the official Split regex."""
    from tokenizers import Regex, pre_tokenizers
    cps = [c for c in range(0x110000) if not (0xD800 <= c <= 0xDFFF)]
    text = "".join(map(chr, cps))
    out = {}
    for name, pat in SCALAR_CLASSES:
        rest = set()
        for piece, _ in pre_tokenizers.Split(Regex(pat), behavior="removed").pre_tokenize_str(text):
            rest.update(piece)
        out[name] = to_ranges([c for c in cps if chr(c) not in rest])
    return out


def official_splits(corpus):
    """Pre-token lengths (in code points) of every NFC-normalized corpus string under both split
    regexes, from the official Split step itself: checks the scanner independently of any vocabulary."""
    from tokenizers import Regex, normalizers, pre_tokenizers
    nfc = normalizers.NFC()
    out = {"note": "lengths in code points of Split(regex, 'isolated') pieces of NFC(string)"}
    for name, regex in (("qwen2", QWEN2_PRETOKENIZE_REGEX), ("mistralFixed", MISTRAL_FIXED_REGEX)):
        split = pre_tokenizers.Split(Regex(regex), behavior="isolated", invert=False)
        out[name] = [[len(piece) for piece, _ in split.pre_tokenize_str(nfc.normalize_str(s))] for s in corpus]
    return out


def fnv1a32(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def official_nfc_digests():
    """Official NFC of templates around every mark / decomposable / jamo code point, as FNV-1a
    digests of the UTF-8 outputs joined by U+001F (one digest per code point)."""
    from tokenizers import normalizers
    nfc = normalizers.NFC()
    cps = []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        if (unicodedata.category(ch).startswith("M") or unicodedata.decomposition(ch)
                or 0x1100 <= c <= 0x11FF or 0xA960 <= c <= 0xA97F or 0xD7B0 <= c <= 0xD7FF
                or unicodedata.combining(ch)):
            cps.append(c)
    # Marks newer than Python's tables (Unicode 15.0-17.0) are included explicitly.
    cps = sorted(set(cps) | set(range(0x1ACF, 0x1AEC)) | set(range(0x10EFA, 0x10F00)) | set(range(0x11B60, 0x11B68)))
    digests = []
    for c in cps:
        joined = "\u001f".join(nfc.normalize_str(t.format(chr(c))) for t in NFC_TEMPLATES)
        digests.append("%08x" % fnv1a32(joined.encode("utf-8")))
    return {"templates": NFC_TEMPLATES, "codepoints": to_ranges(cps), "digests": digests}


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------
FLAG_TOKENS = [
    {"content": "<L>", "lstrip": True},
    {"content": "<R>", "rstrip": True},
    {"content": "<LR>", "lstrip": True, "rstrip": True, "special": True},
    {"content": "cat", "single_word": True, "normalized": True},
    {"content": "猫", "single_word": True},
    {"content": "héllo", "normalized": True},
    {"content": "\u03a9", "normalized": True},
    {"content": "<|im", "special": False},
    {"content": "ab", "normalized": False},
    {"content": "abc", "normalized": True},
    {"content": "e\u0301x", "normalized": True},
    {"content": "o\u0301z", "normalized": False},
]


def expected_for(name, folder, corpus, loader, note):
    processor = loader(folder)
    tokenizer = getattr(processor, "tokenizer", processor)
    regex = split_regex_of(tokenizer)
    ids = [encode_official(processor, s) for s in corpus]
    decoded = [tokenizer.decode(x) for x in ids]
    rnd = random.Random(99)
    total = len(tokenizer)
    decode_cases = []
    for _ in range(40):
        k = rnd.randint(1, 8)
        case = [rnd.randrange(0, total + 3) for _ in range(k)]
        decode_cases.append({"ids": case, "text": tokenizer.decode(case)})
    # Byte tokens that split a multi-byte character: lossy UTF-8 decoding.
    from transformers.models.gpt2.tokenization_gpt2 import bytes_to_unicode
    b2u = bytes_to_unicode()
    byte_id = {b: tokenizer.convert_tokens_to_ids(b2u[b]) for b in (0xE4, 0xB8, 0xAD, 0xF0, 0x9F, 0x98, 0x80)}
    for seq in ([0xE4], [0xE4, 0xB8], [0xE4, 0xB8, 0xAD], [0xF0], [0xF0, 0x9F, 0x98], [0xB8, 0xE4, 0xAD],
                [0xF0, 0x9F, 0x98, 0x80], [0x80, 0x80]):
        case = [byte_id[b] for b in seq]
        decode_cases.append({"ids": case, "text": tokenizer.decode(case)})
    return {
        "tokenizer": name,
        "note": note,
        "official_class": type(tokenizer).__name__,
        "processor_class": type(processor).__name__,
        "split_regex": regex,
        "vocab_size": tokenizer.vocab_size,
        "total_size": total,
        "ids": ids,
        "decoded": decoded,
        "decode_cases": decode_cases,
    }


def mistral_decisions(tiny_dir, work):
    """When does the official loader swap in the Mistral regex?  Recorded for the Swift loader."""
    cases = []
    variants = [
        (True, "4.57.3", "qwen3_tts"), (True, "4.57.2", "qwen3_tts"), (True, "4.57.1", "qwen3_tts"),
        (True, "4.56.0", "qwen3_tts"), (True, "4.58.0", "qwen3_tts"), (True, "4.99.1", "qwen3_tts"),
        (True, "5.0.0", "qwen3_tts"), (True, "5.1.0", "qwen3_tts"), (True, None, "qwen3_tts"),
        (True, "4.57.1", "mistral"), (True, "4.57.1", None), (True, "5.0.0", "mistral"),
        (True, "4.57.0.dev0", "qwen3_tts"), (True, "4.57.3.dev0", "qwen3_tts"), (False, None, None),
    ]
    for pad in (True, False):
        for with_config, tv, mt in variants:
            d = os.path.join(work, f"dec_{len(cases)}")
            if pad:
                build_padded_folder(tiny_dir, d, pad_to=PAD_TO, transformers_version=tv, model_type=mt,
                                    with_config=with_config)
            else:
                shutil.copytree(tiny_dir, d)
                os.remove(os.path.join(d, "config.json"))
                if with_config:
                    write_model_side_files(d, transformers_version=tv, model_type=mt)
            config = None
            if with_config:
                config = {"model_type": mt} if mt is not None else {}
                if tv is not None:
                    config["transformers_version"] = tv
                with open(os.path.join(d, "config.json"), "w") as f:
                    json.dump(config, f)
            # The patch lives in from_pretrained itself; the padded AutoProcessor route is checked in main().
            tok = load_tokenizer_only(d)
            regex = split_regex_of(tok)
            cases.append({
                "config": config, "base_vocab_size": tok.vocab_size,
                "mistral_regex": regex == MISTRAL_FIXED_REGEX,
            })
            assert regex in (MISTRAL_FIXED_REGEX, QWEN2_PRETOKENIZE_REGEX), regex
            shutil.rmtree(d)
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "Tests", "Fixtures", "tokenizer"))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    for name in ("tiny", "multilingual", "multilingual_json", "multilingual_json_legacy", "flags"):
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)

    # (a) tokenizer folders
    tiny = train(new_bpe(normalize=False), tiny_training_texts(), 1024)
    save_folder(tiny, os.path.join(out, "tiny"))
    multi = train(new_bpe(normalize=True), multilingual_training_texts(), 6000)
    n_multi = save_folder(multi, os.path.join(out, "multilingual"))
    flags = train(new_bpe(normalize=False), tiny_training_texts(), 1024)
    save_folder(flags, os.path.join(out, "flags"), extra_added=FLAG_TOKENS)

    # tokenizer.json copies, written by the official fast tokenizer itself.
    official_multi = load_official(os.path.join(out, "multilingual")).tokenizer
    for name, legacy in (("multilingual_json", False), ("multilingual_json_legacy", True)):
        d = os.path.join(out, name)
        os.makedirs(d)
        state = json.loads(official_multi.backend_tokenizer.to_str())
        if legacy:
            state["model"]["merges"] = [" ".join(m) for m in state["model"]["merges"]]
        else:
            assert isinstance(state["model"]["merges"][0], list)
        with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        write_model_side_files(d)  # no tokenizer_config.json: the official loader does not need one

    # (b) corpus
    hand = hand_written_corpus()
    rand = random_corpus()
    corpus = hand + rand
    with open(os.path.join(out, "corpus.json"), "w", encoding="utf-8") as f:
        json.dump({
            "note": "Generated by scripts/tokenizer/make_tokenizer_goldens.py; do not edit by hand.",
            "hand_written_count": len(hand), "random_count": len(rand), "random_seed": RANDOM_SEED,
            "strings": corpus,
        }, f, ensure_ascii=True, indent=0)

    # (c) expected ids from the official tokenizer
    work = tempfile.mkdtemp(prefix="tokgold_")
    try:
        jobs = [
            ("tiny", os.path.join(out, "tiny"), "harness tiny BPE; vocab.json + merges.txt"),
            ("multilingual", os.path.join(out, "multilingual"), "vocab.json + merges.txt"),
            ("multilingual_json", os.path.join(out, "multilingual_json"), "tokenizer.json, merges as pairs"),
            ("multilingual_json_legacy", os.path.join(out, "multilingual_json_legacy"),
             "tokenizer.json, merges as 'a b' strings"),
            ("flags", os.path.join(out, "flags"), "added tokens with lstrip/rstrip/single_word/normalized"),
        ]
        padded = os.path.join(work, "multilingual_mistral")
        build_padded_folder(os.path.join(out, "multilingual"), padded)
        jobs.append(("multilingual_mistral", padded,
                     f"multilingual/ padded to {PAD_TO} base tokens (see build_padded_folder); "
                     "the official loader swaps in the Mistral regex"))
        for name, folder, note in jobs:
            exp = expected_for(name, folder, corpus, load_official, note)
            if name == "multilingual_mistral":
                exp["pad_to"] = PAD_TO
                assert exp["split_regex"] == MISTRAL_FIXED_REGEX, "expected the Mistral regex to fire"
            else:
                assert exp["split_regex"] == QWEN2_PRETOKENIZE_REGEX, (name, exp["split_regex"])
            with open(os.path.join(out, f"expected_{name}.json"), "w", encoding="utf-8") as f:
                json.dump(exp, f, ensure_ascii=True, separators=(",", ":"))
            print(f"{name}: class {exp['official_class']}, vocab {exp['vocab_size']}, "
                  f"{sum(len(x) for x in exp['ids'])} ids", file=sys.stderr)
        with open(os.path.join(out, "official_unicode.json"), "w") as f:
            json.dump({
                "note": "Regex classes and NFC of the official engine (tokenizers %s); see make_tokenizer_goldens.py"
                        % __import__("tokenizers").__version__,
                "classes": official_scalar_classes(),
                "nfc": official_nfc_digests(),
            }, f, separators=(",", ":"))
        with open(os.path.join(out, "expected_splits.json"), "w") as f:
            json.dump(official_splits(corpus), f, separators=(",", ":"))
        decisions = mistral_decisions(os.path.join(out, "tiny"), work)
        with open(os.path.join(out, "mistral_regex_decisions.json"), "w") as f:
            json.dump({"pad_to": PAD_TO, "cases": decisions}, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"multilingual vocab: {n_multi}; corpus: {len(hand)} hand-written + {len(rand)} random", file=sys.stderr)


if __name__ == "__main__":
    main()
