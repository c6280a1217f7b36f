import Foundation
import NN
import TestSupport
import Testing

/// A Python that can import torch and safetensors: PLANKTERM_PYTHON, the venv that Scripts/python-env.sh
/// makes, or python3.
let torchPython: String? = {
    var candidates = ["/tmp/plankterm-py/bin/python", "python3"]
    if let env = ProcessInfo.processInfo.environment["PLANKTERM_PYTHON"] { candidates.insert(env, at: 0) }
    for python in candidates {
        guard let p = try? ChildProcess([python, "-c", "import torch, safetensors"], stdout: .null, stderr: .null)
        else { continue }
        if p.wait() == 0 { return python }
    }
    print("SKIPPED parity with PyTorch: no Python here can import torch and safetensors (run Scripts/python-env.sh)")
    return nil
}()

let scriptsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Scripts").path

@Suite("Parity with the PyTorch definition in Scripts/simclr_torch.py")
struct ParityTests {
    @Test(
        "same weights and inputs give the same embeddings (max abs difference < 1e-4): the ResNet and EfficientNet-Lite0",
        .enabled(if: torchPython != nil, "torch is not importable"), .tags(.slow), arguments: [false, true])
    func embeddings(efficientNet: Bool) throws {
        let encoder = Encoder(efficientNet ? liteConfig(side: 64) : EncoderConfig(), seed: 21)
        let batch = 5
        let train = EncoderWorkspace(encoder: encoder, batch: batch, lanes: 2)
        let x = smooth(train.input.count, seed: 0.45).map { ($0 + 1) / 2 }
        // A few training passes make the running statistics differ from their start values.
        for i in 0..<x.count { train.input[i] = x[(i * 7) % x.count] }
        for _ in 0..<3 { train.forward(training: true, head: true) }
        for i in 0..<x.count { train.input[i] = x[i] }
        train.forward(training: false, head: false)

        let dir = NSTemporaryDirectory() + "plankterm-parity-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try encoder.save(to: dir + "/enc.safetensors")
        try Data(bytes: train.input.pointer, count: 4 * train.input.count).write(
            to: URL(fileURLWithPath: dir + "/x.f32"))
        let p = try ChildProcess(
            [
                torchPython!, scriptsFolder + "/simclr_torch.py", "embed", "--weights", dir + "/enc.safetensors",
                "--input", dir + "/x.f32", "--shape", "\(batch),64,64,1", "--out", dir + "/h.f32"
            ],
            stdout: .inherit, stderr: .inherit)
        #expect(p.wait() == 0)
        let torch = try Data(contentsOf: URL(fileURLWithPath: dir + "/h.f32")).withUnsafeBytes {
            Array($0.bindMemory(to: Float.self))
        }
        let ours = train.embedding.array
        #expect(torch.count == ours.count)
        let worst = zip(torch, ours).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "max abs difference \(worst)")
        #expect(ours.contains { $0 != 0 })

        // and back: the file PyTorch would read loads into an identical encoder
        let (reloaded, _) = try Encoder.load(from: dir + "/enc.safetensors")
        #expect(reloaded.parameters.values.array == encoder.parameters.values.array)
        #expect(reloaded.parameters.stateValues.array == encoder.parameters.stateValues.array)
    }
}
