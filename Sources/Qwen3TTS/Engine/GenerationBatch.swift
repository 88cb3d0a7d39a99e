// Several utterances generated together: each step makes one frame for every running stream with
// one pass over the weights, and streams join and leave between steps. This is what a server
// runs; `Qwen3TTSModel.generate` is the same loop with a batch of one.

import Foundation

/// A set of streams generated together. `add` may be called from any thread (the stream joins at
/// the next step); `step` from one thread at a time.
public final class GenerationBatch: @unchecked Sendable {
    public typealias Completion = (Result<GenerationResult, Error>) -> Void

    public let model: Qwen3TTSModel
    private let generator: Generator
    private let lock = NSLock()
    private var joining: [(stream: GenerationStream, completion: Completion)] = []
    private var running: [(stream: GenerationStream, completion: Completion)] = []

    public init(model: Qwen3TTSModel) {
        self.model = model
        generator = model.makeGenerator()
    }

    /// Queues `request` (its prompt is built now, so a bad request throws here). `onFrame` receives
    /// each frame as it is made and returns false to stop; `completion` gets the outcome once, on
    /// the stepping thread. `options` defaults to the checkpoint's generation_config.json.
    public func add(_ request: SpeechRequest, options: GenerationOptions? = nil,
                    onFrame: @escaping ([Int]) -> Bool = { _ in true }, completion: @escaping Completion) throws {
        let prompt = try model.prompt(for: request)
        let stream = try generator.makeStream(prompt, options: options ?? GenerationOptions(model.generationConfig),
                                              onFrame: onFrame)
        lock.lock()
        joining.append((stream, completion))
        lock.unlock()
    }

    /// Streams running or waiting to join.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return running.count + joining.count
    }

    /// Admits the streams added since the last step, makes one frame for each running stream and
    /// completes those that ended. Returns how many streams are still running.
    @discardableResult
    public func step() -> Int {
        lock.lock()
        running += joining
        joining.removeAll()
        lock.unlock()
        guard !running.isEmpty else { return 0 }
        generator.step(running.map(\.stream))
        let (done, left) = (running.filter { $0.stream.isFinished }, running.filter { !$0.stream.isFinished })
        running = left
        for item in done { item.completion(item.stream.result) }
        return running.count
    }

    /// Steps until every stream has ended (including any added meanwhile).
    public func runToEnd() {
        while step() > 0 || count > 0 {}
    }
}
