"""The official `openai` Python client against a live qwen3-tts server (CustomVoice checkpoint).

Usage: openai_client_test.py BASE_URL API_KEY
Checks that `client.audio.speech.create(...)` and
`client.audio.speech.with_streaming_response.create(...)` return the audio, that SSE streaming
works through the client, and that errors surface as the client's usual exceptions.
"""
import base64
import json
import sys

import openai

base, key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0, timeout=300)
FRAME_BYTES = 1920 * 2  # one 80 ms frame of 16-bit mono PCM at 24 kHz
checks = 0


def check(ok, what):
    global checks
    if not ok:
        raise SystemExit(f"FAILED: {what}")
    checks += 1


models = client.models.list()
check([m.id for m in models.data] == ["tiny-custom-voice"], f"models.list: {models}")

extra = {"max_new_tokens": 8, "seed": 11}
wav = client.audio.speech.create(model="tts-1", voice="ryan", input="Hello from the OpenAI client.",
                                 response_format="wav", extra_body=extra).read()
check(wav[:4] == b"RIFF" and wav[8:12] == b"WAVE", "speech.create returns a WAV")
check(len(wav) == 44 + 7 * FRAME_BYTES, f"7 frames of WAV audio, got {len(wav)} bytes")

pcm = client.audio.speech.create(model="tiny-custom-voice", voice="ryan", input="Hello from the OpenAI client.",
                                 response_format="pcm", extra_body=extra).read()
check(pcm == wav[44:], "pcm is the WAV's samples")

with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="ryan", input="Hello from the OpenAI client.", response_format="pcm",
        extra_body=extra) as response:
    check(response.headers["content-type"] == "audio/pcm", "streamed content type")
    chunks = list(response.iter_bytes())
check(b"".join(chunks) == pcm, "the streamed audio is the same audio")

for fmt, magic in [("flac", b"fLaC"), ("mp3", None), ("opus", b"OggS")]:
    data = client.audio.speech.create(model="tts-1", voice="vivian", input="Formats.", response_format=fmt,
                                      extra_body={"max_new_tokens": 5}).read()
    check(len(data) > 100 and (magic is None or data[:4] == magic), f"{fmt}: {len(data)} bytes {data[:4]!r}")

# SSE through the client: deltas then done, carrying the same PCM.
with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="ryan", input="Hello from the OpenAI client.", response_format="pcm",
        stream_format="sse", extra_body=extra) as response:
    check(response.headers["content-type"] == "text/event-stream", "SSE content type")
    events = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]
check([e["type"] for e in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1), "SSE deltas")
check(events[-1]["type"] == "speech.audio.done" and events[-1]["usage"]["output_tokens"] == 7, f"SSE done: {events[-1]}")
check(b"".join(base64.b64decode(e["audio"]) for e in events[:-1]) == pcm, "SSE audio is the same audio")

# Errors arrive as the client's exceptions, with our message.
try:
    client.audio.speech.create(model="tts-1", voice="alloy", input="Hi.")
    check(False, "unknown voice must fail")
except openai.BadRequestError as e:
    check(e.status_code == 400 and "unknown voice 'alloy'" in e.message, f"BadRequestError: {e}")
    check(e.body["param"] == "voice" and e.body["code"] == "unknown_voice", f"error body: {e.body}")
try:
    client.audio.speech.create(model="tts-1", voice="ryan", input="Hi.", speed=1.5)
    check(False, "speed 1.5 must fail")
except openai.BadRequestError as e:
    check(e.body["param"] == "speed", f"speed error: {e.body}")
try:
    client.audio.speech.create(model="whisper-1", voice="ryan", input="Hi.")
    check(False, "unknown model must fail")
except openai.NotFoundError as e:
    check(e.status_code == 404, f"NotFoundError: {e}")
try:
    openai.OpenAI(base_url=base + "/v1", api_key="wrong", max_retries=0).audio.speech.create(
        model="tts-1", voice="ryan", input="Hi.")
    check(False, "a wrong key must fail")
except openai.AuthenticationError as e:
    check(e.status_code == 401, f"AuthenticationError: {e}")

print(f"openai client: {checks} checks passed (openai {openai.__version__})")
