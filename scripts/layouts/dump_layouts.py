#!/usr/bin/env python3
"""Writes the official tensor layout (name -> dtype, shape) of every preset/variant, taken from
the official model classes instantiated on the meta device (no weights allocated), to
Tests/Fixtures/layouts/<preset>-<variant>.json. The Swift checkpoint maker must reproduce these.

Usage: <venv>/bin/python scripts/layouts/dump_layouts.py --out Tests/Fixtures/layouts
(needs the official qwen-tts 0.1.1; build_model.py from ../shared/reference provides the presets)
"""
import argparse, json, os, sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference"))
import build_model  # noqa: E402  (presets and config makers of the reference harness)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    from qwen_tts.core import Qwen3TTSTokenizerV2Model
    from qwen_tts.core.models import Qwen3TTSForConditionalGeneration
    os.makedirs(args.out, exist_ok=True)
    for preset in ("0.6b", "1.7b"):
        text_vocab = build_model.PRESETS[preset].get("real_text_vocab_size", 1024)
        ids = {c: 151643 + i for i, (c, _) in enumerate(build_model.QWEN_ADDED_TOKENS)}
        ids["assistant"] = 77091
        for variant in ("base", "custom_voice", "voice_design"):
            cfg = build_model.make_configs(preset, variant, 151643, ids)
            with torch.device("meta"):
                model = Qwen3TTSForConditionalGeneration(cfg)
            sd = {k: ["BF16", list(v.shape)] for k, v in model.state_dict().items()}
            path = os.path.join(args.out, f"{preset}-{variant}.json")
            json.dump({"text_vocab_size": cfg.talker_config.text_vocab_size, "tensors": sd},
                      open(path, "w"), indent=0, sort_keys=True)
            print(path, len(sd))
        st_cfg = build_model.make_speech_tokenizer_config(preset)
        with torch.device("meta"):
            st = Qwen3TTSTokenizerV2Model(st_cfg)
        sd = {k: ["F32", list(v.shape)] for k, v in st.state_dict().items()}
        path = os.path.join(args.out, f"{preset}-speech_tokenizer.json")
        json.dump({"tensors": sd}, open(path, "w"), indent=0, sort_keys=True)
        print(path, len(sd))


if __name__ == "__main__":
    main()
