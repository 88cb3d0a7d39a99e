// Sample-rate conversion with libsoxr, reproducing librosa.resample(res_type="soxr_hq"), which the
// reference applies to every voice-cloning input (spec section 7). librosa calls python-soxr,
// which creates an HQ (20-bit, SOXR_HQ) float32 resampler, feeds the input in chunks of
// 48000 * in/out frames, flushes, and caps output at floor(n * out/in) + 1 frames; librosa then
// zero-pads or trims to ceil(n * out/in). Each step is repeated here so lengths match exactly
// and values match up to libsoxr build differences (SIMD/FFT engine), see the tests.

import CSoxr
import Foundation

public enum Resampler {
    /// Resamples interleaved float samples from `inputRate` to `outputRate` (Hz).
    /// Returns the input unchanged when the rates are equal (as librosa does).
    public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int, channels: Int = 1) throws -> [Float] {
        guard inputRate > 0, outputRate > 0 else { throw AudioError.invalid("sample rates must be positive (got \(inputRate) -> \(outputRate))") }
        guard channels > 0, samples.count % channels == 0 else { throw AudioError.invalid("sample count \(samples.count) is not a multiple of \(channels) channels") }
        if inputRate == outputRate { return samples }

        let inRate = Double(inputRate), outRate = Double(outputRate)
        let frames = samples.count / channels
        var err: soxr_error_t?
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        guard let soxr = soxr_create(inRate, outRate, UInt32(channels), &err, &io, &quality, nil), err == nil else {
            throw AudioError.invalid("libsoxr: \(err.map { String(cString: $0) } ?? "cannot create resampler")")
        }
        defer { soxr_delete(soxr) }

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
                    err = soxr_process(soxr, input.baseAddress! + start * channels, n, nil,
                                       output.baseAddress! + produced * channels, capacity - produced, &odone)
                    if let err { throw AudioError.invalid("libsoxr: \(String(cString: err))") }
                    produced += odone
                    start += n
                }
                // Flush: null input drains the filter tail.
                err = soxr_process(soxr, nil, 0, nil, output.baseAddress! + produced * channels, capacity - produced, &odone)
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
