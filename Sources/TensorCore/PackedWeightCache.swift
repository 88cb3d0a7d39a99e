// Quantized matrices, packed once and kept in a file. Packing q4 is compute-bound (the scale
// search, about 10 s for the 0.6B model on two cores), so `CPUBackend.prepare` keeps what it
// packed in one file per (matrices, format) and later loads map that file instead: no packing, and
// the packed bytes are clean file pages the kernel can share and evict.
//
// A file is used only if everything checks out; otherwise the matrices are packed again and the
// file is rewritten:
//   - its key names the format, the packing layout version and, for every matrix, its shape, dtype
//     and source (checkpoint file path, size, modification time, byte offset);
//   - every matrix's byte count is the one the layout gives for its shape;
//   - a 64-bit fingerprint of all packed bytes matches the one written with them.
// Files are written to a temporary name and renamed, so a reader never sees half a file.
//
// Layout: "Q3TTSPK1", UInt64 header length (little-endian), the header (JSON), zero padding to a
// page boundary, then each matrix at a page-aligned offset.

import CKernels
import Foundation

public struct PackedWeightCache: Sendable {
    /// Folder holding the cache files (made on first write).
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `QWEN3TTS_PACK_CACHE` (a folder, or `off`), else `$XDG_CACHE_HOME/qwen3-tts/packed` (`~/.cache/...`).
    public static func fromEnvironment() -> PackedWeightCache? {
        let env = ProcessInfo.processInfo.environment
        if let value = env["QWEN3TTS_PACK_CACHE"], !value.isEmpty {
            return value == "off" ? nil : PackedWeightCache(directory: value)
        }
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let root = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (home + "/.cache")
        return PackedWeightCache(directory: root + "/qwen3-tts/packed")
    }

    /// Bump when quant.c's packed layout or its rounding changes: old files then stop matching.
    static let layoutVersion = 1
    static let magic = Array("Q3TTSPK1".utf8)

    struct Header: Codable {
        var key: String
        var fingerprint: String  // hex, of the matrices' bytes in order
        var matrices: [Entry]
        struct Entry: Codable { var rows: Int, cols: Int, offset: Int, bytes: Int }
    }

    /// The key of these weights in `format`, or nil when a weight is not mapped from a file (then
    /// there is nothing stable to name it by, and nothing is cached).
    static func key(_ weights: [Tensor], format: WeightFormat) -> String? {
        var parts = ["format=\(format.rawValue)", "layout=\(layoutVersion)"]
        var files: [String: String] = [:]
        for w in weights {
            guard let file = w.owner as? MappedFile else { return nil }
            if files[file.path] == nil {
                var st = stat()
                guard stat(file.path, &st) == 0 else { return nil }
                files[file.path] = "\(file.path):\(st.st_size):\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec):\(st.st_ino)"
            }
            let offset = Int(bitPattern: w.data) - Int(bitPattern: file.base)
            parts.append("\(files[file.path]!)@\(offset):\(w.dtype):\(w.shape.map(String.init).joined(separator: "x"))")
        }
        return parts.joined(separator: "\n")
    }

    /// The file for `key`: named by a hash of it (the key itself is checked inside).
    func path(for key: String) -> String {
        var hash = CKFingerprint()
        Array(key.utf8).withUnsafeBytes { hash.add($0.baseAddress!, $0.count) }
        return directory + "/" + hash.hex + ".qpack"
    }

    /// The matrices packed earlier for `weights`, mapped from the cache file; nil if there is no
    /// file or it does not check out.
    func load(_ weights: [Tensor], format: WeightFormat) -> [QuantizedMatrix]? {
        guard format.quantFormat != nil, let key = Self.key(weights, format: format),
              let file = try? MappedFile(path: path(for: key)) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: file.base, count: file.count)
        guard file.count > 16, Array(bytes[0..<8]) == Self.magic else { return nil }
        let headerLength = Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        guard headerLength > 0, 16 + headerLength <= file.count,
              let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + headerLength)])),
              header.key == key, header.matrices.count == weights.count else { return nil }
        var hash = CKFingerprint()
        for (entry, w) in zip(header.matrices, weights) {
            guard w.shape == [entry.rows, entry.cols],
                  entry.bytes == QuantizedMatrix.packedSize(w, format: format),
                  entry.offset % 64 == 0, entry.offset >= 16 + headerLength, entry.offset + entry.bytes <= file.count
            else { return nil }
            hash.add(file.base + entry.offset, entry.bytes)
        }
        guard hash.hex == header.fingerprint else { return nil }
        return header.matrices.map { e in
            QuantizedMatrix(mapped: file, offset: e.offset, format: format, rows: e.rows, cols: e.cols, byteCount: e.bytes)
        }
    }

    /// Writes `matrices` (packed from `weights`) for later loads. Best effort: a cache that cannot
    /// be written (read-only or full disk) only means the next load packs again.
    func store(_ matrices: [QuantizedMatrix], for weights: [Tensor], format: WeightFormat) {
        guard let key = Self.key(weights, format: format) else { return }
        var hash = CKFingerprint()
        for m in matrices { hash.add(m.data, m.byteCount) }
        let page = 4096
        func header(dataStart: Int) -> Header {
            var offset = dataStart, entries: [Header.Entry] = []
            for m in matrices {
                entries.append(.init(rows: m.rows, cols: m.cols, offset: offset, bytes: m.byteCount))
                offset += (m.byteCount + page - 1) / page * page
            }
            return Header(key: key, fingerprint: hash.hex, matrices: entries)
        }
        // The data starts after the header, which holds the offsets: size it with a first guess.
        var dataStart = page
        var json = (try? JSONEncoder().encode(header(dataStart: dataStart))) ?? Data()
        while 16 + json.count > dataStart {
            dataStart = (16 + json.count + page - 1) / page * page
            json = (try? JSONEncoder().encode(header(dataStart: dataStart))) ?? Data()
        }
        guard !json.isEmpty else { return }
        let final = path(for: key), temporary = final + ".\(getpid()).\(UUID().uuidString).tmp"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary, contents: nil),
                  let handle = FileHandle(forWritingAtPath: temporary) else { return }
            defer { try? handle.close() }
            var prefix = Data(Self.magic)
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { prefix.append(contentsOf: $0) }
            prefix.append(json)
            prefix.append(Data(count: dataStart - prefix.count))
            try handle.write(contentsOf: prefix)
            for m in matrices {
                let padded = (m.byteCount + page - 1) / page * page
                try handle.write(contentsOf: Data(bytesNoCopy: m.data, count: m.byteCount, deallocator: .none))
                try handle.write(contentsOf: Data(count: padded - m.byteCount))
            }
            try handle.synchronize()
            guard rename(temporary, final) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            unlink(temporary)
        }
    }
}

/// ck_fingerprint64 over several ranges in turn.
struct CKFingerprint {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func add(_ p: UnsafeRawPointer, _ count: Int) { state = ck_fingerprint64(p, count, state) }

    var hex: String { String(format: "%016llx", state) }
}
