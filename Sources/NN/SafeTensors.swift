import Foundation
import PlanktermCore

/// Reading and writing the safetensors format (a little-endian u64 header length, a JSON header, then
/// raw tensor bytes), as written by PyTorch's `safetensors.torch.save_file`.
public enum SafeTensors {
    public struct Tensor: Sendable, Equatable {
        public var shape: [Int]
        /// float32 values (F32 as stored; F16, BF16 and F64 converted; integer tensors converted to Float).
        public var values: [Float]
        /// The dtype in the file.
        public var dtype: String

        public init(shape: [Int], values: [Float], dtype: String = "F32") {
            self.shape = shape
            self.values = values
            self.dtype = dtype
        }
    }

    public enum Error: Swift.Error, CustomStringConvertible {
        case malformed(path: String, reason: String)

        public var description: String {
            switch self {
            case .malformed(let path, let reason): return "\(path): not a valid safetensors file: \(reason)"
            }
        }
    }

    /// The tensors and the `__metadata__` of the file at `path`.
    public static func read(path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        guard data.count >= 8 else { throw Error.malformed(path: path, reason: "shorter than its header") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * UInt64($1.offset))
        }
        guard headerLength <= UInt64(data.count - 8), headerLength < 100_000_000 else {
            throw Error.malformed(path: path, reason: "header length \(headerLength) is past the end")
        }
        let start = 8 + Int(headerLength)
        guard let header = try JSONSerialization.jsonObject(with: data[8..<start]) as? [String: Any] else {
            throw Error.malformed(path: path, reason: "the header is not a JSON object")
        }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                for (k, v) in value as? [String: Any] ?? [:] { metadata[k] = "\(v)" }
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                offsets[0] >= 0, offsets[1] >= offsets[0], start + offsets[1] <= data.count
            else { throw Error.malformed(path: path, reason: "bad entry for \(name)") }
            let bytes = data[(start + offsets[0])..<(start + offsets[1])]
            let count = shape.reduce(1, *)
            let values: [Float]
            switch dtype {
            case "F32":
                guard bytes.count == 4 * count else { throw Error.malformed(path: path, reason: "size of \(name)") }
                values = bytes.withUnsafeBytes { raw in
                    (0..<count).map {
                        Float(
                            bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))
                        )
                    }
                }
            case "F64":
                guard bytes.count == 8 * count else { throw Error.malformed(path: path, reason: "size of \(name)") }
                values = bytes.withUnsafeBytes { raw in
                    (0..<count).map {
                        Float(
                            Double(
                                bitPattern: UInt64(
                                    littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))))
                    }
                }
            case "F16":
                guard bytes.count == 2 * count else { throw Error.malformed(path: path, reason: "size of \(name)") }
                values = bytes.withUnsafeBytes { raw in
                    (0..<count).map {
                        Float(
                            Float16(
                                bitPattern: UInt16(
                                    littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))))
                    }
                }
            case "BF16":
                guard bytes.count == 2 * count else { throw Error.malformed(path: path, reason: "size of \(name)") }
                values = bytes.withUnsafeBytes { raw in
                    (0..<count).map {
                        Float(
                            bitPattern: UInt32(
                                UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16)
                    }
                }
            case "I64":
                guard bytes.count == 8 * count else { throw Error.malformed(path: path, reason: "size of \(name)") }
                values = bytes.withUnsafeBytes { raw in
                    (0..<count).map {
                        Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)))
                    }
                }
            default:
                throw Error.malformed(path: path, reason: "dtype \(dtype) of \(name) is not supported")
            }
            tensors[name] = Tensor(shape: shape, values: values, dtype: dtype)
        }
        return (tensors, metadata)
    }

    /// Writes `tensors` (F32, or I64 where `dtype` says so) with `metadata`, atomically.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String], to path: String) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var body = Data()
        for name in tensors.keys.sorted() {
            let t = tensors[name]!
            let begin = body.count
            if t.dtype == "I64" {
                for v in t.values { withUnsafeBytes(of: Int64(v).littleEndian) { body.append(contentsOf: $0) } }
            } else {
                for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            }
            header[name] = [
                "dtype": t.dtype == "I64" ? "I64" : "F32", "shape": t.shape, "data_offsets": [begin, body.count]
            ]
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }  // align the data to 8 bytes
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        try out.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

extension Encoder {
    /// The encoder's tensors under PyTorch names and layouts (conv weights [Cout, Cin, k, k]), with
    /// BatchNorm's `num_batches_tracked` so that `load_state_dict(strict=True)` accepts them.
    public func stateDict(includeHead: Bool = true) -> [String: SafeTensors.Tensor] {
        var result: [String: SafeTensors.Tensor] = [:]
        for view in parameters.parameters where includeHead || !view.name.hasPrefix("proj.") {
            let values = Array(UnsafeBufferPointer(start: parameters.value(view), count: view.count))
            if view.shape.count == 4 {
                let (k, kw, cin, cout) = (view.shape[0], view.shape[1], view.shape[2], view.shape[3])
                var torch = [Float](repeating: 0, count: values.count)
                for y in 0..<k {
                    for x in 0..<kw {
                        for i in 0..<cin {
                            for o in 0..<cout {
                                torch[((o * cin + i) * k + y) * kw + x] = values[((y * kw + x) * cin + i) * cout + o]
                            }
                        }
                    }
                }
                result[view.name] = SafeTensors.Tensor(shape: [cout, cin, k, kw], values: torch)
            } else if view.shape.count == 3 {
                // a depthwise filter [k, k, C] is PyTorch's grouped weight [C, 1, k, k]
                let (k, kw, c) = (view.shape[0], view.shape[1], view.shape[2])
                var torch = [Float](repeating: 0, count: values.count)
                for y in 0..<k {
                    for x in 0..<kw { for j in 0..<c { torch[(j * k + y) * kw + x] = values[(y * kw + x) * c + j] } }
                }
                result[view.name] = SafeTensors.Tensor(shape: [c, 1, k, kw], values: torch)
            } else {
                result[view.name] = SafeTensors.Tensor(shape: view.shape, values: values)
            }
        }
        for view in parameters.states {
            result[view.name] = SafeTensors.Tensor(
                shape: view.shape,
                values: Array(UnsafeBufferPointer(start: parameters.stateValue(view), count: view.count)))
            if view.name.hasSuffix(".running_mean") {
                let base = String(view.name.dropLast(".running_mean".count))
                result[base + ".num_batches_tracked"] = SafeTensors.Tensor(shape: [], values: [0], dtype: "I64")
            }
        }
        return result
    }

    /// Loads tensors saved by `stateDict` or by PyTorch; the projection head is optional.
    public func load(_ tensors: [String: SafeTensors.Tensor], source: String) throws {
        for view in parameters.parameters {
            guard let t = tensors[view.name] else {
                if view.name.hasPrefix("proj.") { continue }
                throw SafeTensors.Error.malformed(path: source, reason: "no tensor \(view.name)")
            }
            let target = parameters.value(view)
            if view.shape.count == 4 {
                let (k, kw, cin, cout) = (view.shape[0], view.shape[1], view.shape[2], view.shape[3])
                guard t.shape == [cout, cin, k, kw] else {
                    throw SafeTensors.Error.malformed(
                        path: source, reason: "\(view.name) has shape \(t.shape), expected \([cout, cin, k, kw])")
                }
                for y in 0..<k {
                    for x in 0..<kw {
                        for i in 0..<cin {
                            for o in 0..<cout {
                                target[((y * kw + x) * cin + i) * cout + o] = t.values[((o * cin + i) * k + y) * kw + x]
                            }
                        }
                    }
                }
            } else if view.shape.count == 3 {
                let (k, kw, c) = (view.shape[0], view.shape[1], view.shape[2])
                guard t.shape == [c, 1, k, kw] else {
                    throw SafeTensors.Error.malformed(
                        path: source, reason: "\(view.name) has shape \(t.shape), expected \([c, 1, k, kw])")
                }
                for y in 0..<k {
                    for x in 0..<kw { for j in 0..<c { target[(y * kw + x) * c + j] = t.values[(j * k + y) * kw + x] } }
                }
            } else {
                guard t.shape == view.shape else {
                    throw SafeTensors.Error.malformed(
                        path: source, reason: "\(view.name) has shape \(t.shape), expected \(view.shape)")
                }
                for i in 0..<view.count { target[i] = t.values[i] }
            }
        }
        for view in parameters.states {
            guard let t = tensors[view.name], t.values.count == view.count else {
                throw SafeTensors.Error.malformed(
                    path: source, reason: "no tensor \(view.name) of \(view.count) values")
            }
            for i in 0..<view.count { parameters.stateValue(view)[i] = t.values[i] }
        }
    }
}

extension Encoder {
    /// The metadata key holding the encoder's configuration (JSON of `EncoderConfig`).
    public static let configKey = "plankterm.encoder"

    /// Saves the weights (and BatchNorm statistics) as safetensors with PyTorch names and the
    /// configuration in the metadata.
    public func save(to path: String, metadata extra: [String: String] = [:], includeHead: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata = extra
        metadata[Self.configKey] = String(decoding: try encoder.encode(config), as: UTF8.self)
        try SafeTensors.write(stateDict(includeHead: includeHead), metadata: metadata, to: path)
    }

    /// The configuration recorded in the metadata of the safetensors file at `path` (`fallback` when it
    /// records none); one it cannot use is `SafeTensors.Error.malformed` naming the file.
    public static func config(
        in metadata: [String: String], of path: String,
        fallback: EncoderConfig = EncoderConfig()
    ) throws -> EncoderConfig {
        guard let json = metadata[configKey] else { return fallback }
        do {
            return try JSONDecoder().decode(EncoderConfig.self, from: Data(json.utf8))
        } catch {
            throw SafeTensors.Error.malformed(
                path: path, reason: "its encoder configuration: \(ErrorText.describe(error))")
        }
    }

    /// An encoder built from the configuration in a safetensors file's metadata (`fallback` when the file
    /// has none, as for a file written by another tool) and loaded with its weights.
    public static func load(from path: String, fallback: EncoderConfig = EncoderConfig()) throws -> (
        Encoder, [String: String]
    ) {
        let (tensors, metadata) = try SafeTensors.read(path: path)
        let encoder = Encoder(try config(in: metadata, of: path, fallback: fallback), seed: 0)
        try encoder.load(tensors, source: path)
        return (encoder, metadata)
    }
}
