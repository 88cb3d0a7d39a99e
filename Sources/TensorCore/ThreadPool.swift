// A persistent fork/join pool (CKernels' ck_pool) shared by all kernels of one engine.

import CKernels
import Foundation

/// Persistent worker threads for data-parallel kernels. The calling thread takes part as
/// thread 0; workers spin briefly between jobs and then sleep.
///
/// Jobs from different threads are serialized by the pool, so one pool may be shared, but a
/// decode loop runs fastest with the pool to itself.
public final class ThreadPool: @unchecked Sendable {
    // @unchecked: the only state is the C handle, which is immutable and whose pool serializes
    // concurrent `run` calls internally.

    /// Number of threads, the caller included.
    public let threadCount: Int
    let handle: OpaquePointer

    /// Starts `threadCount - 1` workers (default: one thread per active processor).
    public init(threadCount: Int = ProcessInfo.processInfo.activeProcessorCount) {
        let n = max(1, threadCount)
        guard let pool = ck_pool_create(Int32(n)) else {
            fatalError("ThreadPool: could not start \(n - 1) worker threads")
        }
        self.handle = pool
        self.threadCount = n
    }

    deinit { ck_pool_destroy(handle) }

    /// Calls `body(task, thread)` for every task in `0..<tasks` across the pool and returns when
    /// all are done. `thread` is in `0..<threadCount` and stable for the thread running the task
    /// (use it to index per-thread scratch). `body` runs concurrently with itself, so it must
    /// only write to memory that no other task touches. Calls from inside a task run inline.
    public func run(tasks: Int, _ body: (_ task: Int, _ thread: Int) -> Void) {
        guard tasks > 0 else { return }
        withoutActuallyEscaping(body) { body in
            var closure = body
            withUnsafeMutablePointer(to: &closure) { ctx in
                ck_pool_run(handle, Int32(tasks), { raw, task, thread in
                    let body = raw!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee
                    body(Int(task), Int(thread))
                }, ctx)
            }
        }
    }
}
