import CImageCodecs
import Foundation
import Imaging
import TestSupport
import Testing

/// Files damaged the ways real transfers and hostile inputs damage them: each is refused with a typed
/// error, quickly and in bounded memory, and never decoded as a whole image padded with grey.
@Suite("Damaged images are refused, not padded")
struct DamagedImageTests {
    let decoder = ImageDecoder()

    // MARK: PNG chunks that claim more than the file holds

    /// A 1×1 gray PNG with `chunk` placed right after IHDR (offset 33).
    private func pngWithChunk(_ chunk: [UInt8]) -> [UInt8] {
        let png = PNGFixture.encode(width: 1, height: 1, type: .gray, bitDepth: 8, samples: [200])
        return Array(png.prefix(33)) + chunk + Array(png.dropFirst(33))
    }

    @Test(
        "a 43-byte PNG whose text chunk claims 2 GB is refused at once",
        arguments: ["tEXt", "zTXt", "iTXt", "sPLT"])
    func hugeTextChunk(type: String) {
        let png = PNGFixture.encode(width: 1, height: 1, type: .gray, bitDepth: 8, samples: [0])
        // Signature and IHDR, then a chunk header with length 0x7fffffff and two bytes of its data.
        let bytes = Array(png.prefix(33)) + be32(0x7FFF_FFFF) + Array(type.utf8) + Array("ab".utf8)
        #expect(bytes.count == 43)
        let name = "huge-\(type).png"
        // libpng used to allocate and clear the whole claimed length first: about 2 s and 2 GB each.
        let elapsed = ContinuousClock().measure {
            for _ in 0..<3 {
                #expect(throws: ImagingError.truncated(file: name)) { try decoder.decode(bytes, name: name) }
                #expect(throws: ImagingError.truncated(file: name)) { try decoder.header(bytes, name: name) }
            }
        }
        #expect(elapsed < .seconds(1), "six reads of a 43-byte file took \(elapsed)")
    }

    @Test("PNGs with text, time, gamma, physical-size and private chunks still decode to their pixels")
    func metadataChunks() throws {
        let values = (0..<(7 * 5)).map { ($0 * 37) % 256 }
        let png = PNGFixture.encode(width: 7, height: 5, type: .gray, bitDepth: 8, samples: values)
        let keyword = Array("Comment".utf8) + [0]
        let chunks =
            chunk("tEXt", keyword + Array("ZooScan frame 12".utf8))
            + chunk("zTXt", keyword + [0] + zlibStored(Array("compressed comment".utf8)))
            + chunk("iTXt", keyword + [0, 0] + [0] + [0] + Array("übersetzt".utf8))
            + chunk("gAMA", be32(45455))
            + chunk("pHYs", be32(2835) + be32(2835) + [1])
            + chunk("tIME", [0x07, 0xE8, 6, 1, 12, 30, 0])
            + chunk("prVt", Array("instrument-specific".utf8))
        let bytes = Array(png.prefix(33)) + chunks + Array(png.dropFirst(33))
        let image = try decoder.decode(bytes, name: "with-metadata.png")
        #expect(image.width == 7 && image.height == 5 && image.channels == 1)
        #expect(image.pixels == values.map { UInt8($0) })
    }

    @Test("a PNG whose private chunk runs past the end of the file is truncated")
    func privateChunkPastTheEnd() {
        let bytes = pngWithChunk(be32(1_000_000) + Array("prVt".utf8) + [1, 2, 3, 4])
        #expect(throws: ImagingError.truncated(file: "cut-chunk.png")) {
            try decoder.decode(bytes, name: "cut-chunk.png")
        }
    }

    // MARK: JPEGs whose data stops before the image does

    /// A smooth RGB or gray pattern, `components` samples per pixel.
    private func picture(width: Int, height: Int, components: Int) -> [UInt8] {
        (0..<(width * height * components)).map { i in
            let pixel = i / components, x = pixel % width, y = pixel / width
            return UInt8((x + y) / 5 + (i % components) * 20)  // at most 244: no wrap-around edges
        }
    }

    private func jpeg(width: Int, height: Int, components: Int, progressive: Bool = false) throws -> [UInt8] {
        let pixels = picture(width: width, height: height, components: components)
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = pt_jpeg_encode(
            pixels, UInt32(width), UInt32(height), Int32(components), 90,
            progressive ? 1 : 0, &out, &size, &message, message.count)
        defer { pt_free(out) }
        try #require(status == 0)
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// The offsets of every `FF xx` marker with the given code.
    private func markers(_ code: UInt8, in bytes: [UInt8]) -> [Int] {
        bytes.indices.dropLast().filter { bytes[$0] == 0xFF && bytes[$0 + 1] == code }
    }

    private let eoi: [UInt8] = [0xFF, 0xD9]

    @Test(
        "a 512×512 JPEG cut after its first rows and closed with an EOI is truncated",
        arguments: [(1, 0.1), (3, 0.1), (3, 0.5), (3, 0.9), (1, 0.97)])
    func cutWithEOI(components: Int, fraction: Double) throws {
        let whole = try jpeg(width: 512, height: 512, components: components)
        let start = try #require(markers(0xDA, in: whole).first)  // the scan's data follows SOS
        let cut = start + Int(Double(whole.count - start) * fraction)
        let bytes = Array(whole.prefix(cut)) + eoi
        #expect(throws: ImagingError.truncated(file: "cut.jpg")) { try decoder.decode(bytes, name: "cut.jpg") }
        // The header alone is intact, and says so.
        #expect(try decoder.header(bytes, name: "cut.jpg").width == 512)
    }

    @Test("a JPEG whose header says 7000×7000 but whose data holds 64×64 is truncated")
    func headerClaimsMoreRows() throws {
        var bytes = try jpeg(width: 64, height: 64, components: 1)
        let sof = try #require(markers(0xC0, in: bytes).first)
        // SOF0: FF C0, length (2), precision (1), height (2), width (2).
        bytes[sof + 5] = 0x1B; bytes[sof + 6] = 0x58
        bytes[sof + 7] = 0x1B; bytes[sof + 8] = 0x58
        #expect(try decoder.header(bytes, name: "7000.jpg").height == 7000)
        #expect(throws: ImagingError.truncated(file: "7000.jpg")) { try decoder.decode(bytes, name: "7000.jpg") }
    }

    @Test("a progressive JPEG that stops between two scans and is closed with an EOI is truncated")
    func progressiveStopsBetweenScans() throws {
        for components in [1, 3] {
            let whole = try jpeg(width: 64, height: 48, components: components, progressive: true)
            let scans = markers(0xDA, in: whole)
            #expect(scans.count >= 6)
            for next in scans.dropFirst() {  // keep the scans before `next`
                let bytes = Array(whole.prefix(next)) + eoi
                #expect(throws: ImagingError.truncated(file: "scans.jpg")) {
                    try decoder.decode(bytes, name: "scans.jpg")
                }
            }
        }
    }

    @Test("whole JPEGs still decode, baseline and progressive, and padding before the EOI is accepted")
    func wholeJPEGs() throws {
        for (components, progressive) in [(1, false), (3, false), (3, true)] {
            let whole = try jpeg(width: 512, height: 512, components: components, progressive: progressive)
            let image = try decoder.decode(whole, name: "whole.jpg")
            #expect(image.width == 512 && image.height == 512 && image.channels == components)
            let expected = picture(width: 512, height: 512, components: components)
            let worst = zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(worst <= 16)
            // Zero bytes between the end of the scan and the EOI, as some cameras write them.
            let padded = Array(whole.dropLast(2)) + [UInt8](repeating: 0, count: 16) + eoi
            #expect(try decoder.decode(padded, name: "padded.jpg").pixels == image.pixels)
        }
    }

    // MARK: Chunk building (PNGFixture's helpers are internal to TestSupport)

    private func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    private func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in body {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return be32(UInt32(data.count)) + body + be32(~crc)
    }

    /// A zlib stream of one stored (uncompressed) block.
    private func zlibStored(_ data: [UInt8]) -> [UInt8] {
        let n = data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return [0x78, 0x01, 1, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            + data + be32((b << 16) | a)
    }
}
