/// An 8-bit image in memory: rows top to bottom, `channels` samples per pixel, interleaved.
public struct PixelImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && channels >= 1, "image shape")
        precondition(pixels.count == width * height * channels, "pixel buffer size")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image of one colour.
    public init(width: Int, height: Int, channels: Int, filledWith value: [UInt8]) {
        precondition(value.count == channels, "fill value has one sample per channel")
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        if channels == 1 {
            pixels = [UInt8](repeating: value[0], count: width * height)
        } else {
            for i in 0..<(width * height) {
                for c in 0..<channels { pixels[i * channels + c] = value[c] }
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// The image as decoded from a file.
    public init(_ decoded: DecodedImage) {
        self.init(
            width: decoded.width, height: decoded.height, channels: decoded.channels,
            pixels: decoded.pixels)
    }

    /// Sample `c` of the pixel at column `x`, row `y`.
    @inlinable public subscript(x: Int, y: Int, c: Int = 0) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }
}
