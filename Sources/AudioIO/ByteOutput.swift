// Where encoded audio bytes go: a file, an open descriptor (stdout), memory, or a callback.
// Sinks only need "append" plus, when the target allows it, "seek back and patch a header";
// this type answers whether seeking is possible so sinks can choose a streaming header instead.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Destination of an audio sink or encoder.
public enum AudioDestination {
    /// A file path, created or truncated. Seekable, so headers are patched on close.
    case file(String)
    /// An open handle such as `FileHandle.standardOutput`. Headers are patched only when it is
    /// a regular file opened without O_APPEND; pipes and terminals get streaming headers.
    /// The handle is not closed by the sink.
    case fileHandle(FileHandle)
    /// Each encoded chunk is passed to the closure as it is produced (e.g. an HTTP body).
    /// Never seeks.
    case stream((Data) throws -> Void)
}

/// Append-mostly byte writer over a descriptor, memory, or callback.
final class ByteOutput {
    private enum Target {
        case descriptor(fd: Int32, owned: Bool, base: Int64)
        case memory
        case callback((Data) throws -> Void)
    }

    private var target: Target
    /// Whether `seek` may move backwards (regular file or memory).
    let seekable: Bool
    /// Name for error messages.
    let name: String
    /// Current write position and total length, relative to where this output started.
    private(set) var position: Int64 = 0
    private(set) var length: Int64 = 0
    /// The bytes written, for `.memory` outputs.
    private(set) var buffer = Data()
    private var closed = false

    /// In-memory output (seekable).
    init(memoryNamed name: String = "<memory>") {
        target = .memory
        seekable = true
        self.name = name
    }

    init(_ destination: AudioDestination) throws {
        switch destination {
        case .file(let path):
            name = path
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else {
                throw AudioError.writeFailed(file: path, reason: String(cString: strerror(errno)))
            }
            target = .descriptor(fd: fd, owned: true, base: 0)
            seekable = true
        case .fileHandle(let handle):
            let fd = handle.fileDescriptor
            name = fd == STDOUT_FILENO ? "<stdout>" : "<fd \(fd)>"
            var st = stat()
            let regular = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            let appending = (fcntl(fd, F_GETFL) & O_APPEND) != 0
            let base = Int64(lseek(fd, 0, SEEK_CUR))
            seekable = regular && !appending && base >= 0
            target = .descriptor(fd: fd, owned: false, base: max(base, 0))
        case .stream(let body):
            name = "<stream>"
            target = .callback(body)
            seekable = false
        }
    }

    deinit {
        if case .descriptor(let fd, true, _) = target, !closed { _ = sysClose(fd) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !closed else { throw AudioError.writeFailed(file: name, reason: "write after close") }
        guard bytes.count > 0 else { return }
        switch target {
        case .descriptor(let fd, _, _):
            var done = 0
            while done < bytes.count {
                let n = sysWrite(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AudioError.writeFailed(file: name, reason: String(cString: strerror(errno)))
                }
                done += n
            }
        case .memory:
            let start = Int(position)
            let overlap = min(bytes.count, buffer.count - start)
            if overlap > 0 {
                buffer.replaceSubrange(start..<start + overlap, with: bytes[0..<overlap])
            }
            if overlap < bytes.count { buffer.append(contentsOf: bytes[overlap...]) }
        case .callback(let body):
            try body(Data(bytes))
        }
        position += Int64(bytes.count)
        length = max(length, position)
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Moves the write position; false (and no move) when the output cannot seek there.
    @discardableResult
    func seek(to offset: Int64) -> Bool {
        if offset == position { return true }
        guard seekable, offset >= 0, offset <= length, !closed else { return false }
        if case .descriptor(let fd, _, let base) = target {
            guard lseek(fd, off_t(base + offset), SEEK_SET) >= 0 else { return false }
        }
        position = offset
        return true
    }

    /// Reads back already written bytes (libsndfile re-reads headers of seekable outputs).
    func read(into dst: UnsafeMutableRawPointer, count: Int) -> Int {
        guard seekable, !closed, count > 0 else { return 0 }
        let n = Int(min(Int64(count), length - position))
        guard n > 0 else { return 0 }
        switch target {
        case .descriptor(let fd, _, let base):
            let got = pread(fd, dst, n, off_t(base + position))
            guard got > 0 else { return 0 }
            position += Int64(got)
            return got
        case .memory:
            buffer.withUnsafeBytes { src in
                dst.copyMemory(from: src.baseAddress! + Int(position), byteCount: n)
            }
            position += Int64(n)
            return n
        case .callback:
            return 0
        }
    }

    func close() throws {
        guard !closed else { return }
        closed = true
        if case .descriptor(let fd, true, _) = target, sysClose(fd) != 0 {
            throw AudioError.writeFailed(file: name, reason: String(cString: strerror(errno)))
        }
    }
}

// `write`/`close` are shadowed by the methods above; these reach the C functions.
@inline(__always) private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #elseif canImport(Musl)
    return Musl.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

@inline(__always) private func sysClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #elseif canImport(Musl)
    return Musl.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
