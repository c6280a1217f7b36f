import CChafa
import CLibZ
import Foundation
import PlanktermCore
import TUI

/// The pixels a protocol sends for one placement: the picture on a transparent canvas with the box's
/// aspect, so that a terminal that stretches an image to its box (kitty's `c`/`r`, iTerm2 without
/// `preserveAspectRatio`, chafa's canvas) keeps the picture's own aspect. The canvas is at the
/// picture's own resolution when that is below the box's pixels (the terminal enlarges it: fewer
/// bytes), else at the box's pixels.
public struct PlacedPixels: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// RGBA, row-major.
    public var rgba: [UInt8]

    public init(_ placement: ImagePlacement, cell: CellPixels) {
        let box = placement.boxPixels(cellWidth: cell.width, cellHeight: cell.height)
        var image = placement.image
        // Shrunk to the box's pixels when larger; otherwise sent as it is.
        if image.width > placement.pixelWidth || image.height > placement.pixelHeight {
            image = image.resized(
                width: max(1, placement.pixelWidth), height: max(1, placement.pixelHeight), growth: .area)
        }
        // Canvas pixels per box pixel (≤ 1).
        let scale = Double(image.width) / Double(max(1, placement.pixelWidth))
        let width = max(image.width, Int((Double(box.width) * scale).rounded()))
        let height = max(image.height, Int((Double(box.height) * scale).rounded()))
        self.width = width
        self.height = height
        let left = min(width - image.width, Int((Double(placement.pixelX) * scale).rounded()))
        let top = min(height - image.height, Int((Double(placement.pixelY) * scale).rounded()))
        var out = [UInt8](repeating: 0, count: width * height * 4)
        let channels = image.channels
        image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<image.height {
                    var t = ((top + y) * width + left) * 4
                    var s = y * image.width * channels
                    for _ in 0..<image.width {
                        if channels == 1 {
                            target[t] = source[s]; target[t + 1] = source[s]; target[t + 2] = source[s]
                        } else {
                            target[t] = source[s]; target[t + 1] = source[s + 1]; target[t + 2] = source[s + 2]
                        }
                        target[t + 3] = 255
                        t += 4
                        s += channels
                    }
                }
            }
        }
        rgba = out
    }
}

/// zlib (RFC 1950) compression and CRC-32, for kitty's `o=z` and PNG.
enum Zlib {
    static func compress(_ data: [UInt8], level: Int32 = 6) -> [UInt8] {
        var length = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = CLibZ.compress2(&out, &length, data, uLong(data.count), level)
        precondition(status == Z_OK, "compress2 failed: \(status)")
        return Array(out[0..<Int(length)])
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        UInt32(crc32(0, bytes, uInt(bytes.count)))
    }
}

/// The kitty graphics protocol, written by hand: chafa 1.12 sends kitty images without ids, and ids are
/// what let a redraw place an image again, or delete it, without sending its pixels again.
public enum KittyGraphics {
    /// Transmits `pixels` as image `id` (`a=t`, zlib-compressed RGBA, base64 in chunks of 4096), without
    /// showing it; `q=2` keeps the terminal from answering.
    public static func transmit(id: UInt32, _ pixels: PlacedPixels) -> [UInt8] {
        let payload = Array(Data(Zlib.compress(pixels.rgba)).base64EncodedData())
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + payload.count / 4096 * 16 + 64)
        var start = 0
        repeat {
            let end = min(payload.count, start + 4096)
            let more = end < payload.count ? 1 : 0
            let control =
                start == 0 ? "a=t,q=2,f=32,o=z,t=d,i=\(id),s=\(pixels.width),v=\(pixels.height),m=\(more)" : "m=\(more)"
            out += Array("\u{1B}_G\(control);".utf8)
            out += payload[start..<end]
            out += [0x1B, UInt8(ascii: "\\")]
            start = end
        } while start < payload.count
        return out
    }

    /// Shows image `id` at the cursor over `columns` × `rows` cells, as placement `placement`; the cursor
    /// stays where it is (`C=1`).
    public static func place(id: UInt32, placement: UInt32, columns: Int, rows: Int) -> [UInt8] {
        Array("\u{1B}_Ga=p,q=2,i=\(id),p=\(placement),c=\(columns),r=\(rows),C=1\u{1B}\\".utf8)
    }

    /// Removes one placement (the pixels stay with the terminal for a later placement).
    public static func deletePlacement(id: UInt32, placement: UInt32) -> [UInt8] {
        Array("\u{1B}_Ga=d,q=2,d=i,i=\(id),p=\(placement)\u{1B}\\".utf8)
    }

    /// Removes an image and frees its pixels.
    public static func deleteImage(id: UInt32) -> [UInt8] {
        Array("\u{1B}_Ga=d,q=2,d=I,i=\(id)\u{1B}\\".utf8)
    }

    /// Removes every placement on screen (pixels kept).
    public static let deleteAllPlacements = Array("\u{1B}_Ga=d,q=2,d=a\u{1B}\\".utf8)
    /// Removes every image and frees them (leaving the screen).
    public static let deleteAll = Array("\u{1B}_Ga=d,q=2,d=A\u{1B}\\".utf8)
}

/// iTerm2's inline images (`OSC 1337 ; File=…`), written by hand as a PNG (chafa sends an uncompressed
/// TIFF at the box's full pixel size, several times the bytes).
public enum ITermGraphics {
    public static func image(_ pixels: PlacedPixels, columns: Int, rows: Int) -> [UInt8] {
        let png = PNG.encode(pixels)
        var out = Array(
            "\u{1B}]1337;File=inline=1;size=\(png.count);width=\(columns);height=\(rows);preserveAspectRatio=0:".utf8)
        out += Array(Data(png).base64EncodedData())
        out.append(0x07)
        return out
    }
}

/// A minimal PNG writer: 8-bit RGBA, one IDAT, filter 0 on every row.
enum PNG {
    static func encode(_ pixels: PlacedPixels) -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity((pixels.width * 4 + 1) * pixels.height)
        for y in 0..<pixels.height {
            raw.append(0)
            raw += pixels.rgba[(y * pixels.width * 4)..<((y + 1) * pixels.width * 4)]
        }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            out += bigEndian(UInt32(data.count))
            let body = Array(type.utf8) + data
            out += body
            out += bigEndian(Zlib.crc(body))
        }
        chunk("IHDR", bigEndian(UInt32(pixels.width)) + bigEndian(UInt32(pixels.height)) + [8, 6, 0, 0, 0])
        chunk("IDAT", Zlib.compress(raw))
        chunk("IEND", [])
        return out
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
}

/// Sixels through chafa's canvas (libchafa): its palette quantiser and sixel writer are well kept and
/// fast, so they are not written again here.
public enum SixelGraphics {
    /// The picture as one sixel image over `columns` × `rows` cells of `cell` pixels; the transparent
    /// canvas around it is left undrawn (chafa writes sixel's transparent background, P2 = 1).
    public static func image(_ pixels: PlacedPixels, columns: Int, rows: Int, cell: CellPixels) -> [UInt8] {
        var length = 0
        let text = pixels.rgba.withUnsafeBufferPointer { rgba in
            pt_chafa_sixels(
                rgba.baseAddress, Int32(pixels.width), Int32(pixels.height), Int32(columns), Int32(rows),
                Int32(cell.width), Int32(cell.height), &length)
        }
        guard let text else { return [] }
        defer { free(text) }
        return text.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}
