import Foundation

/// A tiny PNG writer, independent of libpng, for building decoder fixtures in tests.
///
/// It writes any colour type and bit depth, optionally Adam7-interlaced, with zlib "stored" blocks (no
/// compression), so the bytes are fully under the test's control.
public enum PNGFixture {
    public enum ColorType: UInt8 { case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6 }

    /// Samples per pixel for a colour type.
    public static func samples(_ type: ColorType) -> Int {
        switch type {
        case .gray, .palette: return 1
        case .grayAlpha: return 2
        case .rgb: return 3
        case .rgba: return 4
        }
    }

    /// Encodes `samples` (row-major, `samples(type)` values per pixel, each < 2^bitDepth).
    public static func encode(
        width: Int, height: Int, type: ColorType, bitDepth: Int, samples values: [Int],
        palette: [(UInt8, UInt8, UInt8)] = [], transparency: [UInt8] = [],
        interlaced: Bool = false
    ) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = be32(UInt32(width)) + be32(UInt32(height))
        ihdr += [UInt8(bitDepth), type.rawValue, 0, 0, interlaced ? 1 : 0]
        out += chunk("IHDR", ihdr)
        if type == .palette {
            out += chunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] })
            if !transparency.isEmpty { out += chunk("tRNS", transparency) }
        }
        let spp = samples(type)
        var raw: [UInt8] = []
        let passes: [(x0: Int, y0: Int, dx: Int, dy: Int)] =
            interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        for pass in passes {
            let xs = Array(stride(from: pass.x0, to: width, by: pass.dx))
            let ys = Array(stride(from: pass.y0, to: height, by: pass.dy))
            if xs.isEmpty || ys.isEmpty { continue }
            for y in ys {
                raw.append(0)  // filter: none
                var bits = BitWriter()
                for x in xs {
                    for s in 0..<spp { bits.write(values[(y * width + x) * spp + s], bits: bitDepth) }
                }
                raw += bits.finish()
            }
        }
        out += chunk("IDAT", zlibStored(raw))
        out += chunk("IEND", [])
        return out
    }

    /// A PNG whose header claims `width`×`height` pixels and holds a few bytes of data: the header is
    /// valid (right CRC), the data is not enough for the image.
    public static func hugeHeader(width: Int, height: Int) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 0, 0, 0, 0])
        out += chunk("IDAT", zlibStored([0, 0, 0, 0]))
        out += chunk("IEND", [])
        return out
    }

    struct BitWriter {
        var bytes: [UInt8] = []
        var current: UInt32 = 0
        var used = 0
        mutating func write(_ value: Int, bits: Int) {
            if bits == 16 {
                bytes.append(UInt8(value >> 8))
                bytes.append(UInt8(value & 0xFF))
                return
            }
            if bits == 8 {
                bytes.append(UInt8(value))
                return
            }
            current = (current << UInt32(bits)) | UInt32(value)
            used += bits
            if used == 8 {
                bytes.append(UInt8(current))
                current = 0
                used = 0
            }
        }
        mutating func finish() -> [UInt8] {
            if used > 0 { bytes.append(UInt8(current << UInt32(8 - used))) }
            return bytes
        }
    }

    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return be32(UInt32(data.count)) + typeBytes + data + be32(crc32(typeBytes + data))
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let final: UInt8 = offset + n == data.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32((b << 16) | a)
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
