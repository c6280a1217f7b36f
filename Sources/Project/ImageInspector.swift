import Crypto
import Foundation
import Imaging
import Store

/// Reads one image file, hashes its bytes and decodes it fully, to learn the facts the project stores.
///
/// A file that cannot be decoded is not an error here: its facts carry the failure reason.
public struct ImageInspector: Sendable {
    public var decoder: ImageDecoder

    public init(decoder: ImageDecoder = ImageDecoder()) {
        self.decoder = decoder
    }

    /// The facts of `file` under `root`.
    public func inspect(_ file: ScannedFile, root: String) -> ImageFacts {
        var facts = ImageFacts(path: file.path, hash: nil, byteSize: file.byteSize, modifiedAt: file.modifiedAt)
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path: root + "/" + file.path, name: file.path)
        } catch {
            facts.failure = error.reason
            return facts
        }
        facts.byteSize = Int64(bytes.count)
        facts.hash = Self.hash(bytes)
        do {
            let image = try decoder.decode(bytes, name: file.path)
            facts.format = image.header.format.rawValue
            facts.width = image.width
            facts.height = image.height
            facts.channels = image.channels
            facts.bitDepth = image.header.sourceBitDepth
            facts.sourceColor = image.header.sourceColor.rawValue
        } catch {
            facts.failure = error.reason
        }
        return facts
    }

    /// SHA-256 of `bytes`, lower-case hex.
    public static func hash(_ bytes: [UInt8]) -> String {
        let digest = SHA256.hash(data: bytes)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
