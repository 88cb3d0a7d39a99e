#!/usr/bin/env python3
"""Regenerates the AudioIO test fixtures in this folder (run from anywhere).

Needs the reference Python environment (numpy, soundfile, librosa as used by qwen-tts) and
the `sox` command line tool. Expected values are what the reference stack computes:
  - wav/*.wav written by soundfile and sox in many sample formats, and <name>.f32 holding
    soundfile.read(dtype="float32") of each (interleaved little-endian float32);
  - lossy/*.{mp3,opus,flac} written by soundfile, and <name>.f32 its decode;
  - resample/in_<rate>.wav (16-bit mono) and out_<rate>.f32 = librosa.resample(y, orig_sr=rate,
    target_sr=24000) with the default res_type (soxr_hq);
  - reference/stereo_8k.wav and .f32 = the qwen-tts preprocessing: librosa.load(sr=None,
    mono=True) then librosa.resample to 24 kHz;
  - pcm16/input.f32 and output.wav = soundfile.write(subtype="PCM_16") of awkward values, to pin
    the float -> int16 rounding.

Usage: /root/venv-ref/bin/python Tests/Fixtures/audio/generate.py
"""
import json
import os
import subprocess

import librosa
import numpy as np
import soundfile as sf

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)


def path(*p):
    full = os.path.join(HERE, *p)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full


def f32(name, x):
    np.asarray(x, dtype="<f4").tofile(path(name))


def test_signal(sr, seconds, channels=1):
    """Chirp up to 0.9 Nyquist + low noise + a click: exercises passband, stopband and edges."""
    n = int(round(sr * seconds))
    t = np.arange(n) / sr
    f0, f1 = 50.0, 0.9 * sr / 2
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds))
    cols = []
    for c in range(channels):
        x = 0.5 * np.sin(phase + c) + 0.05 * rng.standard_normal(n)
        x[n // 3] += 0.4
        cols.append(x)
    y = np.stack(cols, axis=1) if channels > 1 else cols[0]
    return np.clip(y, -0.99, 0.99)


def main():
    # --- WAV in every sample format, from two independent writers -----------------------
    manifest = {}
    sig = test_signal(8000, 0.05, channels=2)  # 400 frames
    sf_cases = [
        ("sf_u8_stereo", "PCM_U8", 2), ("sf_s16_mono", "PCM_16", 1), ("sf_s24_stereo", "PCM_24", 2),
        ("sf_s32_mono", "PCM_32", 1), ("sf_f32_stereo", "FLOAT", 2), ("sf_f64_mono", "DOUBLE", 1),
    ]
    for name, subtype, ch in sf_cases:
        p = path("wav", name + ".wav")
        sf.write(p, sig if ch == 2 else sig[:, 0], 8000, subtype=subtype)
        manifest[name] = {"rate": 8000, "channels": ch}
    # sox: WAVE_FORMAT_EXTENSIBLE for 24-bit and > 2 channels, LIST comment chunk, float + fact.
    raw = path("wav", "_tmp.f32")
    three = np.stack([sig[:, 0], sig[:, 1], -sig[:, 0]], axis=1).astype("<f4")
    three.tofile(raw)
    sox_cases = [
        ("sox_s24_3ch_ext", ["-e", "signed-integer", "-b", "24"], 3),
        ("sox_s16_3ch_ext", ["-e", "signed-integer", "-b", "16"], 3),
        ("sox_f32_3ch", ["-e", "floating-point", "-b", "32"], 3),
        ("sox_u8_3ch", ["-e", "unsigned-integer", "-b", "8"], 3),
    ]
    for name, enc, ch in sox_cases:
        p = path("wav", name + ".wav")
        subprocess.run(["sox", "-t", "f32", "-r", "8000", "-c", "3", raw, "--comment", "made by sox",
                        "-D", *enc, p], check=True)
        manifest[name] = {"rate": 8000, "channels": ch}
    os.remove(raw)
    for name in manifest:
        y, sr = sf.read(path("wav", name + ".wav"), dtype="float32", always_2d=True)
        assert sr == manifest[name]["rate"] and y.shape[1] == manifest[name]["channels"]
        manifest[name]["frames"] = int(y.shape[0])
        f32(os.path.join("wav", name + ".f32"), y.reshape(-1))
    with open(path("wav", "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)

    # --- compressed files written and decoded by soundfile ---------------------------------
    speech_like = test_signal(24000, 0.2)
    for ext, fmt, subtype in [("flac", "FLAC", "PCM_16"), ("mp3", "MP3", "MPEG_LAYER_III"), ("opus", "OGG", "OPUS")]:
        p = path("lossy", "tone." + ext)
        sf.write(p, speech_like.astype(np.float32), 24000, format=fmt, subtype=subtype)
        y, sr = sf.read(p, dtype="float32")
        f32(os.path.join("lossy", "tone_" + ext + ".f32"), y)

    # --- resampling to 24 kHz, as librosa does it ----------------------------------------
    for rate in [8000, 16000, 22050, 44100, 48000]:
        p = path("resample", f"in_{rate}.wav")
        sf.write(p, test_signal(rate, 0.15), rate, subtype="PCM_16")
        y, sr = sf.read(p, dtype="float32")
        f32(os.path.join("resample", f"out_{rate}.f32"), librosa.resample(y, orig_sr=sr, target_sr=24000))

    # --- qwen-tts reference preprocessing end to end (stereo 8 kHz, exactly 1 s) -------------
    p = path("reference", "stereo_8k.wav")
    sf.write(p, test_signal(8000, 1.0, channels=2), 8000, subtype="PCM_16")
    audio, sr = librosa.load(p, sr=None, mono=True)
    f32(os.path.join("reference", "stereo_8k.f32"), librosa.resample(y=audio, orig_sr=sr, target_sr=24000))

    # --- float -> int16 as soundfile writes PCM_16 --------------------------------------
    k = np.arange(-40, 41, dtype=np.float64)
    awkward = np.concatenate([
        (k + 0.5) / 32767, (k + 0.5) / 32768, k / 32767, k / 32768,          # halfway and exact points
        [0.0, -0.0, 1.0, -1.0, 1.5, -1.5, 0.99999, -0.99999, 1e-9, -1e-9, 3e-5, -3e-5, 1e-12, -1e-12],
        rng.uniform(-1.1, 1.1, 2000), rng.uniform(-1e-4, 1e-4, 500),
    ]).astype(np.float32)
    f32(os.path.join("pcm16", "input.f32"), awkward)
    sf.write(path("pcm16", "output.wav"), awkward, 24000, subtype="PCM_16")


if __name__ == "__main__":
    main()
