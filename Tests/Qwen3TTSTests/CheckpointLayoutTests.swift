import Foundation
import Testing
@testable import Qwen3TTS

/// name -> (dtype, shape) from a layout dumped from the official classes (scripts/layouts).
private func officialLayout(_ file: String) throws -> [String: TensorSpec] {
    let url = fixturesDirectory.appendingPathComponent("layouts/\(file).json")
    let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    var out: [String: TensorSpec] = [:]
    for (name, value) in obj["tensors"] as! [String: [Any]] {
        out[name] = TensorSpec(name: name, dtype: DType(rawValue: value[0] as! String)!, shape: value[1] as! [Int])
    }
    return out
}

private func compare(_ ours: [TensorSpec], _ official: [String: TensorSpec]) {
    let mine = Dictionary(uniqueKeysWithValues: ours.map { ($0.name, $0) })
    #expect(mine.count == ours.count, "duplicate tensor names in our layout")
    for name in Set(mine.keys).union(official.keys).sorted() {
        #expect(mine[name] == official[name], "\(name): ours \(String(describing: mine[name])) official \(String(describing: official[name]))")
    }
}

@Suite struct CheckpointLayoutTests {
    /// The real 0.6B and 1.7B layouts, for every variant, match the official module trees exactly.
    @Test(arguments: [RandomCheckpoint.Shape.size06B, .size17B])
    func realDimensionLayoutsMatchOfficial(_ shape: RandomCheckpoint.Shape) throws {
        for variant in RandomCheckpoint.Variant.allCases {
            let dir = NSTemporaryDirectory() + "layout-" + UUID().uuidString
            try RandomCheckpoint.write(shape: shape, variant: variant, to: dir, weights: false)
            let model = try ModelConfig.load(path: dir + "/config.json")
            let name = "\(shape.rawValue)-\(variant.rawValue.replacingOccurrences(of: "-", with: "_"))"
            compare(CheckpointLayout.model(model), try officialLayout(name))
            let codec = try SpeechTokenizerConfig.load(path: dir + "/speech_tokenizer/config.json")
            compare(CheckpointLayout.speechTokenizer(codec), try officialLayout("\(shape.rawValue)-speech_tokenizer"))
        }
    }

    /// A tiny checkpoint made by the tool opens, and every tensor has the dtype and shape its config implies.
    @Test func madeCheckpointIsConsistent() throws {
        for (_, dir) in madeTinyCheckpoints {
            let model = try ModelConfig.load(path: dir + "/config.json")
            let weights = try SafeTensorsCheckpoint(directory: dir)
            let specs = CheckpointLayout.model(model)
            #expect(weights.names == specs.map(\.name).sorted())
            for s in specs { _ = try weights.tensor(s.name, shape: s.shape, dtypes: [s.dtype]) }
            let codec = try SpeechTokenizerConfig.load(path: dir + "/speech_tokenizer/config.json")
            let codecWeights = try SafeTensorsCheckpoint(directory: dir + "/speech_tokenizer")
            let codecSpecs = CheckpointLayout.speechTokenizer(codec)
            #expect(codecWeights.names == codecSpecs.map(\.name).sorted())
            for s in codecSpecs { _ = try codecWeights.tensor(s.name, shape: s.shape, dtypes: [s.dtype]) }
        }
    }
}
