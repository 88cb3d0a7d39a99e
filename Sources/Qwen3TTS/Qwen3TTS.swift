// Qwen3TTS: the Qwen3-TTS model family (talker, code predictor, codec) on top of TensorCore.
@_exported import TensorCore
