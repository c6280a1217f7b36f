import CImageCodecs
import Foundation
import Imaging
import PlanktermCore
import TestSupport
import Testing

/// A deterministic test pattern: `samples` values per pixel, each below 2^bitDepth.
func pattern(width: Int, height: Int, samples: Int, bitDepth: Int, seed: Int = 7) -> [Int] {
    let maxValue = (1 << bitDepth) - 1
    return (0..<(width * height * samples)).map { i in ((i * 37 + seed * 11) ^ (i >> 3)) % (maxValue + 1) }
}

/// 16-bit → 8-bit as libpng's png_set_scale_16 does it.
func scale16(_ v: Int) -> UInt8 { UInt8((v * 255 + 32895) >> 16) }

/// Encodes pixels as JPEG through the shim (gray 1, RGB 3, CMYK 4).
func jpegBytes(
    _ pixels: [UInt8], width: Int, height: Int, components: Int, quality: Int = 95,
    progressive: Bool = false
) throws -> [UInt8] {
    var out: UnsafeMutablePointer<UInt8>? = nil
    var size = 0
    var message = [CChar](repeating: 0, count: 200)
    let status = pt_jpeg_encode(
        pixels, UInt32(width), UInt32(height), Int32(components), Int32(quality),
        progressive ? 1 : 0, &out, &size, &message, message.count)
    #expect(status == 0)
    defer { pt_free(out) }
    return Array(UnsafeBufferPointer(start: out, count: size))
}

@Suite("PNG decoding through libpng")
struct PNGDecodingTests {
    let decoder = ImageDecoder()

    @Test("8-bit gray, RGB and RGBA decode to the exact samples")
    func eightBit() throws {
        for (type, channels) in [(PNGFixture.ColorType.gray, 1), (.rgb, 3), (.rgba, 4), (.grayAlpha, 2)] {
            let values = pattern(width: 13, height: 7, samples: channels, bitDepth: 8)
            let png = PNGFixture.encode(width: 13, height: 7, type: type, bitDepth: 8, samples: values)
            let image = try decoder.decode(png, name: "eight-bit.png")
            #expect(image.width == 13 && image.height == 7 && image.channels == channels)
            #expect(image.pixels == values.map { UInt8($0) })
            #expect(image.header.sourceBitDepth == 8)
        }
    }

    @Test("16-bit gray and RGB are scaled to 8 bits")
    func sixteenBit() throws {
        for (type, channels) in [(PNGFixture.ColorType.gray, 1), (.rgb, 3), (.rgba, 4)] {
            let values = pattern(width: 9, height: 5, samples: channels, bitDepth: 16)
            let png = PNGFixture.encode(width: 9, height: 5, type: type, bitDepth: 16, samples: values)
            let image = try decoder.decode(png, name: "sixteen-bit.png")
            #expect(image.header.sourceBitDepth == 16)
            #expect(image.pixels == values.map(scale16))
        }
    }

    @Test("palette PNGs expand to RGB, and to RGBA with a tRNS chunk")
    func palette() throws {
        let palette: [(UInt8, UInt8, UInt8)] = [(0, 0, 0), (255, 0, 0), (10, 200, 30), (255, 255, 255)]
        let indices = pattern(width: 6, height: 4, samples: 1, bitDepth: 2)
        let png = PNGFixture.encode(
            width: 6, height: 4, type: .palette, bitDepth: 8, samples: indices,
            palette: palette)
        let image = try decoder.decode(png, name: "palette.png")
        #expect(image.header.sourceColor == .palette && image.channels == 3)
        #expect(image.pixels == indices.flatMap { [palette[$0].0, palette[$0].1, palette[$0].2] })

        let withAlpha = PNGFixture.encode(
            width: 6, height: 4, type: .palette, bitDepth: 8, samples: indices,
            palette: palette, transparency: [0, 128])
        let rgba = try decoder.decode(withAlpha, name: "palette-trns.png")
        #expect(rgba.channels == 4)
        let alphas: [UInt8] = [0, 128, 255, 255]
        #expect(rgba.pixels == indices.flatMap { [palette[$0].0, palette[$0].1, palette[$0].2, alphas[$0]] })
    }

    @Test("1-, 2- and 4-bit gray expand to the full 8-bit range")
    func lowBitDepth() throws {
        for bits in [1, 2, 4] {
            let values = pattern(width: 11, height: 3, samples: 1, bitDepth: bits)
            let png = PNGFixture.encode(width: 11, height: 3, type: .gray, bitDepth: bits, samples: values)
            let image = try decoder.decode(png, name: "gray\(bits).png")
            let maxValue = (1 << bits) - 1
            #expect(image.pixels == values.map { UInt8($0 * 255 / maxValue) })
        }
    }

    @Test("an Adam7-interlaced PNG decodes to the same pixels as a plain one")
    func interlaced() throws {
        for (type, channels) in [(PNGFixture.ColorType.gray, 1), (.rgb, 3)] {
            let values = pattern(width: 17, height: 11, samples: channels, bitDepth: 8)
            let plain = PNGFixture.encode(width: 17, height: 11, type: type, bitDepth: 8, samples: values)
            let adam7 = PNGFixture.encode(
                width: 17, height: 11, type: type, bitDepth: 8, samples: values,
                interlaced: true)
            let a = try decoder.decode(plain, name: "plain.png")
            let b = try decoder.decode(adam7, name: "interlaced.png")
            #expect(b.header.interlaced && !a.header.interlaced)
            #expect(a.pixels == b.pixels)
        }
    }

    @Test("libpng's own encoder round-trips through the decoder")
    func libpngRoundTrip() throws {
        let values = pattern(width: 20, height: 10, samples: 3, bitDepth: 8).map { UInt8($0) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 200)
        #expect(pt_png_encode(values, 20, 10, 3, &out, &size, &message, message.count) == 0)
        let bytes = Array(UnsafeBufferPointer(start: out, count: size))
        pt_free(out)
        #expect(try decoder.decode(bytes, name: "libpng.png").pixels == values)
    }
}

@Suite("JPEG decoding through libjpeg-turbo")
struct JPEGDecodingTests {
    let decoder = ImageDecoder()

    /// A smooth gradient survives JPEG compression within a few grey levels.
    func gradient(width: Int, height: Int, channels: Int) -> [UInt8] {
        (0..<(width * height)).flatMap { i -> [UInt8] in
            let x = i % width, y = i / width
            return (0..<channels).map { c in UInt8(x * 3 + y * 2 + c * 20) }  // smooth, no wrap-around
        }
    }

    @Test("baseline and progressive, gray and RGB", arguments: [(1, false), (3, false), (1, true), (3, true)])
    func decodes(channels: Int, progressive: Bool) throws {
        let pixels = gradient(width: 40, height: 24, channels: channels)
        let jpeg = try jpegBytes(
            pixels, width: 40, height: 24, components: channels, quality: 98,
            progressive: progressive)
        let image = try decoder.decode(jpeg, name: "gradient.jpg")
        #expect(image.width == 40 && image.height == 24 && image.channels == channels)
        #expect(image.header.interlaced == progressive)
        let worst = zip(image.pixels, pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 12)
    }

    @Test("CMYK JPEGs (Adobe, inverted) are converted to RGB")
    func cmyk() throws {
        // Adobe CMYK stores 255 - ink: (255,255,255,255) is white, K stored 0 is black.
        var pixels: [UInt8] = []
        for i in 0..<(16 * 16) { pixels += i < 128 ? [255, 255, 255, 255] : [255, 255, 255, 0] }
        let jpeg = try jpegBytes(pixels, width: 16, height: 16, components: 4)
        let image = try decoder.decode(jpeg, name: "cmyk.jpg")
        #expect(image.header.sourceColor == .cmyk && image.channels == 3)
        #expect(image.pixels[0] > 240 && image.pixels[1] > 240)
        let last = image.pixels.count - 3
        #expect(image.pixels[last] < 15 && image.pixels[last + 2] < 15)
    }
}

@Suite("Broken and hostile files give typed errors naming the file")
struct BrokenFileTests {
    let decoder = ImageDecoder()
    let png = PNGFixture.encode(
        width: 32, height: 32, type: .gray, bitDepth: 8,
        samples: pattern(width: 32, height: 32, samples: 1, bitDepth: 8))

    @Test func zeroBytes() {
        #expect(throws: ImagingError.empty(file: "zero-bytes.png")) { try decoder.decode([], name: "zero-bytes.png") }
    }

    @Test func textNamedPNG() {
        let text = Array("sample,label\nx.png,copepod\n".utf8)
        #expect(throws: ImagingError.unrecognizedFormat(file: "text-named.png")) {
            try decoder.decode(text, name: "text-named.png")
        }
    }

    @Test func jpegNamedPNG() throws {
        let jpeg = try jpegBytes([UInt8](repeating: 128, count: 64), width: 8, height: 8, components: 1)
        #expect(throws: ImagingError.extensionMismatch(file: "jpeg-named.png", named: "png", actual: .jpeg)) {
            try decoder.decode(jpeg, name: "jpeg-named.png")
        }
    }

    @Test("truncated PNGs, cut anywhere after the signature", arguments: [0.3, 0.6, 0.9, 0.99])
    func truncatedPNG(fraction: Double) {
        let cut = Array(png.prefix(Int(Double(png.count) * fraction)))
        #expect(throws: ImagingError.truncated(file: "truncated.png")) {
            try decoder.decode(cut, name: "truncated.png")
        }
    }

    @Test("truncated JPEGs", arguments: [0.4, 0.8, 0.97])
    func truncatedJPEG(fraction: Double) throws {
        let pixels = (0..<(64 * 64)).map { UInt8(($0 * 7) % 256) }
        let jpeg = try jpegBytes(pixels, width: 64, height: 64, components: 1)
        let cut = Array(jpeg.prefix(Int(Double(jpeg.count) * fraction)))
        #expect(throws: ImagingError.truncated(file: "truncated.jpg")) {
            try decoder.decode(cut, name: "truncated.jpg")
        }
    }

    @Test("a header claiming 100000×100000 pixels is refused before any allocation")
    func hugeHeader() {
        let bytes = PNGFixture.hugeHeader(width: 100_000, height: 100_000)
        #expect(
            throws: ImagingError.tooLarge(
                file: "huge.png", width: 100_000, height: 100_000,
                limit: ImageDecoder.defaultMaxPixels)
        ) {
            try decoder.decode(bytes, name: "huge.png")
        }
    }

    @Test("the pixel limit is configurable")
    func configurableLimit() throws {
        let small = ImageDecoder(maxPixels: 1000)
        #expect(throws: ImagingError.tooLarge(file: "a.png", width: 32, height: 32, limit: 1000)) {
            try small.decode(png, name: "a.png")
        }
        #expect(try ImageDecoder(maxPixels: 1024).decode(png, name: "a.png").width == 32)
    }

    @Test("a flipped byte in the image data is reported as corrupt")
    func corruptCRC() {
        var bytes = png
        bytes[bytes.count - 30] ^= 0xFF  // inside IDAT: its CRC no longer matches
        #expect {
            try decoder.decode(bytes, name: "flipped.png")
        } throws: { error in
            guard case .corrupt(let file, let reason) = error as? ImagingError else { return false }
            return file == "flipped.png" && !reason.isEmpty
        }
    }

    @Test("random bytes after a valid signature never crash", arguments: 0..<40)
    func garbage(seed: Int) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next() -> UInt8 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        let signature: [UInt8] = seed % 2 == 0 ? Array(png.prefix(33)) : [0xFF, 0xD8, 0xFF, 0xE0]
        let bytes = signature + (0..<(50 + seed * 13)).map { _ in next() }
        let name = seed % 2 == 0 ? "garbage.png" : "garbage.jpg"
        do {
            _ = try decoder.decode(bytes, name: name)
        } catch {
            #expect(error.file == name)
        }
    }

    @Test("errors read as one line naming the file")
    func messages() {
        let e = ImagingError.tooLarge(file: "dir/huge.png", width: 100_000, height: 100_000, limit: 50_000_000)
        #expect(e.description == "dir/huge.png: 100000×100000 pixels is more than the limit of 50000000 pixels")
        #expect(!e.description.contains("\n"))
    }
}

@Suite("Real images from ../shared/data")
struct SharedImageTests {
    @Test("NDSB PNGs decode to their listed size, and their original JPEGs to the same pixels")
    func ndsbSample() throws {
        guard let ndsb = SharedData.ndsb else {
            print("skipped: ../shared/data is not here")
            return
        }
        let csv = try String(contentsOfFile: ndsb + "/labels.csv", encoding: .utf8)
        let rows = csv.split(whereSeparator: \.isNewline).dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false)
        }
        let decoder = ImageDecoder()
        var checked = 0
        for row in rows where checked < 60 {
            guard row.count >= 5, let width = Int(row[3]), let height = Int(row[4]) else { continue }
            let png = try decoder.decodeFile(atPath: ndsb + "/" + row[0])
            #expect(png.width == width && png.height == height && png.channels == 1)
            let jpeg = try decoder.decodeFile(atPath: ndsb + "/" + row[1])
            #expect(jpeg.width == width && jpeg.height == height)
            let gray = Preprocessing.luma(jpeg.image)
            let worst = zip(gray.pixels, png.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(worst <= 2, "\(row[1]) differs from its PNG by \(worst)")
            checked += 1
        }
        #expect(checked == 60)
    }
}
