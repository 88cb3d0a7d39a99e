// Zero-copy reader and streaming writer for the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the raw data.
// Files are memory-mapped; tensors are views into the mapping, so "loading" costs page faults only.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can be wrong with a checkpoint file. Each case prints as one actionable line.
public enum CheckpointError: Error, CustomStringConvertible, Sendable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case truncated(path: String, detail: String)
    case headerTooLarge(path: String, bytes: UInt64, limit: Int)
    case malformedHeader(path: String, detail: String)
    case offsetsOutOfRange(path: String, tensor: String, detail: String)
    case overlappingTensors(path: String, first: String, second: String)
    case missingTensor(name: String, path: String)
    case shapeMismatch(name: String, path: String, found: [Int], expected: [Int])
    case dtypeMismatch(name: String, path: String, found: DType, expected: [DType])
    case malformedIndex(path: String, detail: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p): return "checkpoint file not found: \(p)"
        case .unreadable(let p, let r): return "cannot read \(p): \(r)"
        case .truncated(let p, let d): return "truncated safetensors file \(p): \(d)"
        case .headerTooLarge(let p, let b, let l):
            return "safetensors header of \(b) bytes in \(p) exceeds the \(l)-byte limit (corrupt or not a safetensors file)"
        case .malformedHeader(let p, let d): return "malformed safetensors header in \(p): \(d)"
        case .offsetsOutOfRange(let p, let t, let d): return "tensor '\(t)' in \(p): data offsets out of range: \(d)"
        case .overlappingTensors(let p, let a, let b): return "tensors '\(a)' and '\(b)' overlap in \(p)"
        case .missingTensor(let n, let p): return "tensor '\(n)' not found in \(p)"
        case .shapeMismatch(let n, let p, let f, let e):
            return "tensor '\(n)' in \(p) has shape \(f), expected \(e) from the configuration"
        case .dtypeMismatch(let n, let p, let f, let e):
            return "tensor '\(n)' in \(p) has dtype \(f.rawValue), expected \(e.map(\.rawValue).joined(separator: " or "))"
        case .malformedIndex(let p, let d): return "malformed checkpoint index \(p): \(d)"
        }
    }
}

/// A read-only memory mapping of a whole file, unmapped when the last reference goes away.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let base: UnsafeRawPointer
    public let count: Int

    public init(path: String) throws(CheckpointError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let err = errno
            if err == ENOENT { throw .fileNotFound(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(err)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw .unreadable(path: path, reason: "is a directory") }
        count = Int(st.st_size)
        if count == 0 {
            // mmap refuses empty files; an empty file is simply truncated.
            throw .truncated(path: path, detail: "file is empty")
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .unreadable(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), count) }
}

/// Where one tensor lives inside a safetensors file.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range relative to the start of the data section.
    public let dataOffsets: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A tensor: dtype, shape and a pointer to immutable data, kept alive by `owner`
/// (a file mapping or an owned buffer).
public struct Tensor: @unchecked Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let data: UnsafeRawPointer
    public let owner: AnyObject

    public init(dtype: DType, shape: [Int], data: UnsafeRawPointer, owner: AnyObject) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
        self.owner = owner
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * dtype.byteSize }

    /// Tells the kernel that this tensor's file pages are not needed any more (a backend made
    /// its own copy at load), so they stop counting toward the resident set; a later read
    /// faults them in again from the file. Only whole pages inside the tensor are dropped, and
    /// only for tensors mapped from a file (never for memory the process owns).
    public func releaseFilePages() {
        guard owner is MappedFile else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: data) + page - 1) / page * page
        let end = (Int(bitPattern: data) + byteCount) / page * page
        guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(p, end - start, Int32(MADV_DONTNEED))
    }

    /// The values converted to Float (f32, f16, bf16, f64 and integer types).
    public func floats() -> [Float] {
        let n = elementCount
        return [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            convertToFloat(dtype: dtype, src: data, dst: buf.baseAddress!, count: n)
            initialized = n
        }
    }

    /// The values as Int (integer types only; floats are truncated toward zero).
    public func ints() -> [Int] {
        let n = elementCount
        switch dtype {
        case .i64: return (0..<n).map { Int(data.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .i32: return (0..<n).map { Int(data.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .u8, .bool: return (0..<n).map { Int(data.load(fromByteOffset: $0, as: UInt8.self)) }
        default: return floats().map { Int($0) }
        }
    }
}

/// Converts `count` elements of `dtype` at `src` to Float.
public func convertToFloat(dtype: DType, src: UnsafeRawPointer, dst: UnsafeMutablePointer<Float>, count n: Int) {
    switch dtype {
    case .f32: memcpy(dst, src, n * 4)
    case .bf16:
        for i in 0..<n { dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
    case .f16:
        for i in 0..<n { dst[i] = halfToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .f64:
        for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
    case .i64:
        for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
    case .i32:
        for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
    case .u64:
        for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
    case .u32:
        for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
    case .i16:
        for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
    case .u16:
        for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .i8:
        for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
    case .u8, .bool:
        for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: UInt8.self)) }
    }
}

/// IEEE 754 half to single precision (exact; handles subnormals, inf and NaN).
@inlinable
public func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exp = Int((h >> 10) & 0x1F)
    let mant = UInt32(h & 0x3FF)
    if exp == 0 {
        if mant == 0 { return Float(bitPattern: sign) }
        let v = Float(mant) * (1.0 / 16_777_216.0)  // mant * 2^-24
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | UInt32(exp + 112) << 23 | (mant << 13))
}

/// Rounds a Float to bfloat16 (round to nearest even), as PyTorch's `.to(torch.bfloat16)` does.
@inlinable
public func floatToBF16(_ f: Float) -> UInt16 {
    let bits = f.bitPattern
    if f.isNaN { return UInt16(bits >> 16) | 0x40 }
    let rounding = ((bits >> 16) & 1) &+ 0x7FFF
    return UInt16((bits &+ rounding) >> 16)
}

/// One memory-mapped safetensors file, validated on open.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The safetensors reference implementation refuses headers over 100 MB.
    public static let maxHeaderBytes = 100_000_000

    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    public let mapping: MappedFile
    /// Offset of the data section from the start of the file.
    public let dataStart: Int

    public init(path: String) throws(CheckpointError) {
        self.path = path
        let m = try MappedFile(path: path)
        mapping = m
        guard m.count >= 8 else {
            throw .truncated(path: path, detail: "file is \(m.count) bytes, shorter than the 8-byte header length")
        }
        let headerLen = UInt64(littleEndian: m.base.loadUnaligned(as: UInt64.self))
        guard headerLen <= UInt64(Self.maxHeaderBytes) else {
            throw .headerTooLarge(path: path, bytes: headerLen, limit: Self.maxHeaderBytes)
        }
        guard headerLen <= UInt64(m.count - 8) else {
            throw .truncated(path: path, detail: "header needs \(headerLen) bytes but the file has only \(m.count - 8) after the length")
        }
        let hlen = Int(headerLen)
        dataStart = 8 + hlen
        let dataSize = m.count - dataStart
        let headerData = Data(bytes: m.base + 8, count: hlen)
        let (t, meta) = try Self.parseHeader(headerData, path: path, dataSize: dataSize)
        tensors = t
        metadata = meta
    }

    /// Names of all tensors, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// A zero-copy view of the tensor's data.
    public func tensor(_ name: String) throws(CheckpointError) -> Tensor {
        guard let info = tensors[name] else { throw .missingTensor(name: name, path: path) }
        return Tensor(dtype: info.dtype, shape: info.shape,
                      data: mapping.base + dataStart + info.dataOffsets.lowerBound, owner: mapping)
    }

    static func parseHeader(_ data: Data, path: String, dataSize: Int) throws(CheckpointError)
        -> ([String: TensorInfo], [String: String])
    {
        func bad(_ d: String) -> CheckpointError { .malformedHeader(path: path, detail: d) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw bad("not valid JSON")
        }
        guard let dict = object as? [String: Any] else { throw bad("top level is not a JSON object") }
        var tensors: [String: TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in dict {
            if name == "__metadata__" {
                guard let md = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
                for (k, v) in md {
                    guard let s = v as? String else { throw bad("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw bad("entry '\(name)' is not an object") }
            guard let dtName = entry["dtype"] as? String else { throw bad("entry '\(name)' has no dtype string") }
            guard let dtype = DType(rawValue: dtName) else { throw bad("entry '\(name)' has unknown dtype '\(dtName)'") }
            guard let shapeAny = entry["shape"] as? [Any] else { throw bad("entry '\(name)' has no shape array") }
            var shape: [Int] = []
            var count = 1
            for d in shapeAny {
                guard let n = exactInt(d), n >= 0 else { throw bad("entry '\(name)' has a shape that is not non-negative integers") }
                shape.append(n)
                let (c, overflow) = count.multipliedReportingOverflow(by: n)
                guard !overflow else { throw bad("entry '\(name)' has a shape too large to address") }
                count = c
            }
            guard let offs = entry["data_offsets"] as? [Any], offs.count == 2,
                  let begin = exactInt(offs[0]), let end = exactInt(offs[1])
            else { throw bad("entry '\(name)' has no data_offsets [begin, end] of integers") }
            guard begin >= 0, begin <= end else {
                throw .offsetsOutOfRange(path: path, tensor: name, detail: "[\(begin), \(end)) is not a valid range")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, bytes == end - begin else {
                throw .offsetsOutOfRange(path: path, tensor: name,
                                         detail: "[\(begin), \(end)) holds \(end - begin) bytes but \(dtName) \(shape) needs \(overflow ? "more than can be addressed" : String(bytes))")
            }
            guard end <= dataSize else {
                throw .truncated(path: path, detail: "tensor '\(name)' ends at data byte \(end) but the data section has only \(dataSize) bytes")
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
        }
        // No two tensors may share bytes (the format forbids aliasing; overlap means corruption).
        let sorted = tensors.values.filter { !$0.dataOffsets.isEmpty }
            .sorted { ($0.dataOffsets.lowerBound, $0.name) < ($1.dataOffsets.lowerBound, $1.name) }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.dataOffsets.lowerBound < a.dataOffsets.upperBound {
            throw .overlappingTensors(path: path, first: a.name, second: b.name)
        }
        return (tensors, metadata)
    }
}

/// JSON numbers arrive as NSNumber/Int/Double depending on platform: accept integral values only.
private func exactInt(_ v: Any) -> Int? {
    if let b = v as? Bool, type(of: v) == Bool.self { _ = b; return nil }
    if let i = v as? Int { return i }
    if let d = v as? Double, d.rounded() == d, abs(d) < 9.0e15 { return Int(d) }
    return nil
}

/// The weights of one checkpoint folder: `NAME.safetensors`, or shards listed in
/// `NAME.safetensors.index.json` ({"weight_map": {tensor: file}}).
public final class SafeTensorsCheckpoint: @unchecked Sendable {
    public let files: [SafeTensorsFile]
    private let location: [String: Int]

    /// Opens `directory/NAME.safetensors.index.json` when present, else `directory/NAME.safetensors`.
    public init(directory: String, name: String = "model") throws(CheckpointError) {
        let indexPath = (directory as NSString).appendingPathComponent("\(name).safetensors.index.json")
        let singlePath = (directory as NSString).appendingPathComponent("\(name).safetensors")
        if FileManager.default.fileExists(atPath: indexPath) {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: indexPath)) } catch {
                throw .unreadable(path: indexPath, reason: "\(error.localizedDescription)")
            }
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = obj["weight_map"] as? [String: Any]
            else { throw .malformedIndex(path: indexPath, detail: "no weight_map object") }
            var fileNames: [String] = []
            var fileIndex: [String: Int] = [:]
            var location: [String: Int] = [:]
            for (tensor, f) in map {
                guard let file = f as? String, !file.contains("/"), !file.isEmpty else {
                    throw .malformedIndex(path: indexPath, detail: "weight_map entry for '\(tensor)' is not a file name")
                }
                if fileIndex[file] == nil { fileIndex[file] = fileNames.count; fileNames.append(file) }
                location[tensor] = fileIndex[file]
            }
            var files: [SafeTensorsFile] = []
            for f in fileNames { files.append(try SafeTensorsFile(path: (directory as NSString).appendingPathComponent(f))) }
            for (tensor, i) in location where files[i].tensors[tensor] == nil {
                throw .missingTensor(name: tensor, path: files[i].path)
            }
            self.files = files
            self.location = location
        } else {
            let file = try SafeTensorsFile(path: singlePath)
            files = [file]
            location = Dictionary(uniqueKeysWithValues: file.tensors.keys.map { ($0, 0) })
        }
    }

    /// Where a lookup failure is reported: the single file, or the index for sharded checkpoints.
    private var describedPath: String { files.count == 1 ? files[0].path : files.map(\.path).joined(separator: ", ") }

    public func contains(_ name: String) -> Bool { location[name] != nil }
    public var names: [String] { location.keys.sorted() }

    public func info(_ name: String) throws(CheckpointError) -> TensorInfo {
        guard let i = location[name], let info = files[i].tensors[name] else {
            throw .missingTensor(name: name, path: describedPath)
        }
        return info
    }

    /// The tensor `name`, checked against the shape (and allowed dtypes) the configuration implies.
    public func tensor(_ name: String, shape: [Int]? = nil, dtypes: [DType]? = nil) throws(CheckpointError) -> Tensor {
        guard let i = location[name] else { throw .missingTensor(name: name, path: describedPath) }
        let t = try files[i].tensor(name)
        if let shape, t.shape != shape {
            throw .shapeMismatch(name: name, path: files[i].path, found: t.shape, expected: shape)
        }
        if let dtypes, !dtypes.contains(t.dtype) {
            throw .dtypeMismatch(name: name, path: files[i].path, found: t.dtype, expected: dtypes)
        }
        return t
    }
}

/// Writes a safetensors file tensor by tensor, so multi-GB checkpoints never sit in memory whole.
public enum SafeTensorsWriter {
    public struct Entry {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Fills exactly `shape.product * dtype.byteSize` bytes.
        public let fill: (UnsafeMutableRawBufferPointer) throws -> Void

        public init(name: String, dtype: DType, shape: [Int], fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.fill = fill
        }
    }

    public static func write(_ entries: [Entry], metadata: [String: String]? = nil, to path: String) throws {
        var header: [String: Any] = [:]
        if let metadata { header["__metadata__"] = metadata }
        var offset = 0
        for e in entries {
            let bytes = e.shape.reduce(1, *) * e.dtype.byteSize
            header[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        while json.count % 8 != 0 { json.append(0x20) }
        guard let fp = fopen(path, "wb") else {
            throw CheckpointError.unreadable(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        defer { fclose(fp) }
        var len = UInt64(json.count).littleEndian
        func put(_ p: UnsafeRawPointer, _ n: Int) throws {
            if n > 0, fwrite(p, 1, n, fp) != n {
                throw CheckpointError.unreadable(path: path, reason: "write failed: \(String(cString: strerror(errno)))")
            }
        }
        try withUnsafeBytes(of: &len) { try put($0.baseAddress!, 8) }
        try json.withUnsafeBytes { try put($0.baseAddress!, json.count) }
        for e in entries {
            let bytes = e.shape.reduce(1, *) * e.dtype.byteSize
            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
            defer { buf.deallocate() }
            let view = UnsafeMutableRawBufferPointer(rebasing: buf[0..<bytes])
            try e.fill(view)
            try put(buf.baseAddress!, bytes)
        }
    }
}
