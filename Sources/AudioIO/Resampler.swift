// Sample-rate conversion with libsoxr, reproducing librosa.resample(res_type="soxr_hq"), which the
// reference applies to every voice-cloning input (spec section 7). librosa calls python-soxr,
// which creates an HQ (20-bit, SOXR_HQ) float32 resampler, feeds the input in chunks of
// 48000 * in/out frames, flushes, and caps output at floor(n * out/in) + 1 frames; librosa then
// zero-pads or trims to ceil(n * out/in). Each step is repeated here so lengths match exactly
// and values match up to libsoxr build differences (SIMD/FFT engine), see the tests.
//
// libsoxr is loaded at run time: a reference at 24 kHz never needs it, and any other rate without
// it fails with one line naming the package, rather than silently resampling differently from
// the official implementation (which would change the x-vector and the reference codes).

import CRuntimeLibs
import Foundation

public enum Resampler {
    /// Resamples interleaved float samples from `inputRate` to `outputRate` (Hz).
    /// Returns the input unchanged when the rates are equal (as librosa does).
    public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int, channels: Int = 1) throws -> [Float] {
        guard inputRate > 0, outputRate > 0 else { throw AudioError.invalid("sample rates must be positive (got \(inputRate) -> \(outputRate))") }
        guard channels > 0, samples.count % channels == 0 else { throw AudioError.invalid("sample count \(samples.count) is not a multiple of \(channels) channels") }
        if inputRate == outputRate { return samples }
        guard let api = rl_soxr_load()?.pointee else {
            throw AudioError.missingLibrary(.soxr, feature: "resampling audio from \(inputRate) Hz to \(outputRate) Hz")
        }

        let inRate = Double(inputRate), outRate = Double(outputRate)
        let frames = samples.count / channels
        var err: rl_soxr_error?
        var io = api.io_spec(Int32(RL_SOXR_FLOAT32_I), Int32(RL_SOXR_FLOAT32_I))
        var quality = api.quality_spec(UInt(RL_SOXR_HQ), 0)
        guard let soxr = api.create(inRate, outRate, UInt32(channels), &err, &io, &quality, nil), err == nil else {
            throw AudioError.invalid("libsoxr: \(err.map { String(cString: $0) } ?? "cannot create resampler")")
        }
        defer { api.delete_(soxr) }

        // Same truncating size_t arithmetic as python-soxr's csoxr_divide_proc.
        let capacity = Int(Double(frames) * outRate / inRate) + 1
        let chunk = max(1, Int(48000 * inRate / outRate))
        var out = [Float](repeating: 0, count: capacity * channels)
        var produced = 0
        try samples.withUnsafeBufferPointer { input in
            try out.withUnsafeMutableBufferPointer { output in
                var odone = 0
                var start = 0
                // A nil `idone` makes soxr take the whole chunk (it buffers what it cannot use yet).
                while start < frames {
                    let n = min(chunk, frames - start)
                    err = api.process(soxr, input.baseAddress! + start * channels, n, nil,
                                      output.baseAddress! + produced * channels, capacity - produced, &odone)
                    if let err { throw AudioError.invalid("libsoxr: \(String(cString: err))") }
                    produced += odone
                    start += n
                }
                // Flush: null input drains the filter tail.
                err = api.process(soxr, nil, 0, nil, output.baseAddress! + produced * channels, capacity - produced, &odone)
                if let err { throw AudioError.invalid("libsoxr: \(String(cString: err))") }
                produced += odone
            }
        }
        // librosa's fix_length: ceil(n * ratio) frames, zero-padded or trimmed.
        let target = Int((Double(frames) * (outRate / inRate)).rounded(.up))
        out.removeSubrange(min(produced, out.count / channels) * channels..<out.count)
        if out.count < target * channels {
            out.append(contentsOf: repeatElement(0, count: target * channels - out.count))
        } else {
            out.removeSubrange(target * channels..<out.count)
        }
        return out
    }
}
