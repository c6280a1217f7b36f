import CImageCodecs

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decodes PNG (libpng) and JPEG (libjpeg-turbo) files into 8-bit pixels, with typed errors.
///
/// The format is taken from the bytes, never from the name; a name that disagrees with the contents is
/// an error (`extensionMismatch`). An image whose header claims more than `maxPixels` pixels is refused
/// before any pixel memory is allocated.
public struct ImageDecoder: Sendable {
    /// The default pixel limit: 50 megapixels.
    public static let defaultMaxPixels = 50_000_000

    /// The largest `width * height` accepted.
    public var maxPixels: Int

    public init(maxPixels: Int = ImageDecoder.defaultMaxPixels) {
        self.maxPixels = maxPixels
    }

    /// Reads and decodes the file at `path`; `name` (default: `path`) is what errors show.
    public func decodeFile(atPath path: String, name: String? = nil) throws(ImagingError) -> DecodedImage {
        let bytes = try FileBytes.read(path: path, name: name ?? path)
        return try decode(bytes, name: name ?? path)
    }

    /// Decodes an image held in memory; `name` is the file name errors show and whose extension is checked.
    public func decode(_ bytes: [UInt8], name: String) throws(ImagingError) -> DecodedImage {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImagingError) -> DecodedImage in try decode(raw, name: name) }
        }
        return try result.get()
    }

    /// Reads only the header of an image held in memory.
    public func header(_ bytes: [UInt8], name: String) throws(ImagingError) -> ImageHeader {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(ImagingError) -> ImageHeader in try run(raw, name: name, headerOnly: true).header }
        }
        return try result.get()
    }

    /// Decodes an image held in memory.
    public func decode(_ raw: UnsafeRawBufferPointer, name: String) throws(ImagingError) -> DecodedImage {
        let (header, pixels) = try run(raw, name: name, headerOnly: false)
        return DecodedImage(header: header, pixels: pixels!)
    }

    private func run(_ raw: UnsafeRawBufferPointer, name: String, headerOnly: Bool)
        throws(ImagingError) -> (header: ImageHeader, pixels: [UInt8]?)
    {
        guard raw.count > 0 else { throw .empty(file: name) }
        guard let format = ImageFormat(sniffing: raw) else { throw .unrecognizedFormat(file: name) }
        let ext = Self.fileExtension(of: name)
        if let named = ImageFormat(fileExtension: ext), named != format {
            throw .extensionMismatch(file: name, named: ext.lowercased(), actual: format)
        }
        var info = pt_image_info()
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var message = [CChar](repeating: 0, count: 256)
        let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let status = message.withUnsafeMutableBufferPointer { msg -> Int32 in
            switch format {
            case .png:
                return pt_png_decode(
                    base, raw.count, UInt64(maxPixels), headerOnly ? 1 : 0, &info,
                    &pixels, msg.baseAddress, msg.count)
            case .jpeg:
                return pt_jpeg_decode(
                    base, raw.count, UInt64(maxPixels), headerOnly ? 1 : 0, &info,
                    &pixels, msg.baseAddress, msg.count)
            }
        }
        defer { pt_free(pixels) }
        let reason = String(
            decoding: message.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) },
            as: UTF8.self)
        switch pt_status(UInt32(status)) {
        case PT_OK: break
        case PT_ERR_TRUNCATED: throw .truncated(file: name)
        case PT_ERR_TOO_LARGE:
            throw .tooLarge(file: name, width: Int(info.width), height: Int(info.height), limit: maxPixels)
        case PT_ERR_UNSUPPORTED: throw .unsupported(file: name, reason: reason)
        case PT_ERR_NO_MEMORY: throw .unsupported(file: name, reason: "out of memory")
        default: throw .corrupt(file: name, reason: reason.isEmpty ? "unknown error" : reason)
        }
        let header = ImageHeader(
            format: format, width: Int(info.width), height: Int(info.height), channels: Int(info.channels),
            sourceBitDepth: Int(info.source_bit_depth), sourceColor: Self.sourceColor(info.source_color),
            interlaced: info.interlaced != 0)
        if headerOnly { return (header, nil) }
        let count = header.width * header.height * header.channels
        let buffer = [UInt8](UnsafeBufferPointer(start: pixels, count: count))
        return (header, buffer)
    }

    private static func sourceColor(_ raw: UInt32) -> SourceColor {
        switch pt_source_color(raw) {
        case PT_SOURCE_GRAY: return .gray
        case PT_SOURCE_GRAY_ALPHA: return .grayAlpha
        case PT_SOURCE_RGB: return .rgb
        case PT_SOURCE_RGBA: return .rgba
        case PT_SOURCE_PALETTE: return .palette
        case PT_SOURCE_YCBCR: return .ycbcr
        case PT_SOURCE_CMYK: return .cmyk
        default: return .ycck
        }
    }

    static func fileExtension(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), !name[dot...].contains("/") else { return "" }
        return String(name[name.index(after: dot)...])
    }
}
