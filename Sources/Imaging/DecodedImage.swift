import PlanktermCore

/// How an image file stores its pixels, before decoding normalised them.
public enum SourceColor: String, Sendable, Codable {
    case gray, grayAlpha, rgb, rgba, palette, ycbcr, cmyk, ycck
}

/// What a file's header says about its image.
public struct ImageHeader: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// Channels of the decoded pixels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public var channels: Int
    /// Bits per sample in the file (decoded pixels are always 8-bit).
    public var sourceBitDepth: Int
    public var sourceColor: SourceColor
    /// Adam7-interlaced PNG or progressive JPEG.
    public var interlaced: Bool
}

/// What decoding a file gives: its header (format, source depth and colour) and its pixels.
public struct DecodedImage: Sendable, Equatable {
    public var header: ImageHeader
    public var image: PixelImage

    public var width: Int { header.width }
    public var height: Int { header.height }
    public var channels: Int { header.channels }
    /// `width * height * channels` bytes.
    public var pixels: [UInt8] { image.pixels }

    public init(header: ImageHeader, pixels: [UInt8]) {
        precondition(pixels.count == header.width * header.height * header.channels, "pixel buffer size")
        self.header = header
        image = PixelImage(width: header.width, height: header.height, channels: header.channels, pixels: pixels)
    }
}
