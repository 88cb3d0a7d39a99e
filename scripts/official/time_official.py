#!/usr/bin/env python3
"""Times the official implementation (qwen-tts 0.1.1, PyTorch, CPU, float32) on one checkpoint:
model load, then one synthesis of exactly N frames (end of speech disabled, greedy), after an
untimed warm-up. Prints JSON: load_s, total_s (generation + codec decode), audio_s, rtf, peak RSS.
Used by scripts/compare-official; any checkpoint in the official layout works (for example one
made by `qwen3-tts dev make-checkpoint`)."""
import argparse
import json
import resource
import time

import torch
from qwen_tts import Qwen3TTSModel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--text", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    tts = Qwen3TTSModel.from_pretrained(args.model, dtype=torch.float32)
    load_s = time.perf_counter() - t0
    m = tts.model
    # With no EOS id the wrapper suppresses the whole control range, EOS included, and never
    # trims: exactly max_new_tokens - 1 frames, as our bench runs with EOS off.
    m.config.talker_config.codec_eos_token_id = -1

    def call(frames):
        kw = dict(do_sample=False, subtalker_dosample=False, max_new_tokens=frames + 1)
        if m.tts_model_type == "custom_voice":
            speaker = sorted(m.get_supported_speakers())[0]
            return tts.generate_custom_voice(text=args.text, language="English", speaker=speaker, **kw)
        if m.tts_model_type == "voice_design":
            return tts.generate_voice_design(text=args.text, instruct="A calm, clear voice.", language="English", **kw)
        raise SystemExit("time_official.py runs CustomVoice and VoiceDesign checkpoints")

    call(3)  # warm-up: allocator and oneDNN first-call costs
    t0 = time.perf_counter()
    wavs, sr = call(args.frames)
    total_s = time.perf_counter() - t0
    audio_s = len(wavs[0]) / sr
    print(json.dumps(dict(load_s=load_s, total_s=total_s, audio_s=audio_s, rtf=total_s / audio_s,
                          frames=len(wavs[0]) // 1920, threads=torch.get_num_threads(),
                          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))


if __name__ == "__main__":
    main()
