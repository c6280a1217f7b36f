import PlanktermCore

/// A picture that the terminal draws in pixels (kitty, sixel or iTerm2 graphics) over a rectangle of
/// cells that the screen leaves blank. The screen says what and where; the terminal driver encodes it.
public struct ImagePlacement: Sendable, Equatable {
    /// What is shown: the same id means the same pixels (image, crop and scale), so an unchanged
    /// picture is not sent again.
    public var id: String
    /// The source pixels (already cropped when zoomed).
    public var image: PixelImage
    /// The cells reserved for it.
    public var x: Int, y: Int, columns: Int, rows: Int
    /// Where the picture lies in the box, in the box's pixels (`columns × cellWidth` by
    /// `rows × cellHeight`): the rest of the box is left transparent.
    public var pixelX: Int, pixelY: Int, pixelWidth: Int, pixelHeight: Int

    public init(
        id: String, image: PixelImage, x: Int, y: Int, columns: Int, rows: Int,
        pixelX: Int, pixelY: Int, pixelWidth: Int, pixelHeight: Int
    ) {
        self.id = id
        self.image = image
        self.x = x
        self.y = y
        self.columns = columns
        self.rows = rows
        self.pixelX = pixelX
        self.pixelY = pixelY
        self.pixelWidth = pixelWidth
        self.pixelHeight = pixelHeight
    }

    /// Same picture in the same place (the pixels are named by `id`).
    public func sameAs(_ other: ImagePlacement) -> Bool {
        id == other.id && x == other.x && y == other.y && columns == other.columns && rows == other.rows
            && pixelX == other.pixelX && pixelY == other.pixelY && pixelWidth == other.pixelWidth
            && pixelHeight == other.pixelHeight
    }

    /// The box's size in pixels.
    public func boxPixels(cellWidth: Int, cellHeight: Int) -> (width: Int, height: Int) {
        (columns * cellWidth, rows * cellHeight)
    }
}

/// The size of one character cell in pixels, as the terminal reported it.
public struct CellPixels: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
    }
}

extension PixelImage {
    /// The pixels of the rectangle (x, y, w, h), clamped to the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> PixelImage {
        let x0 = max(0, min(width - 1, x)), y0 = max(0, min(height - 1, y))
        let cw = max(1, min(width - x0, w)), ch = max(1, min(height - y0, h))
        if x0 == 0 && y0 == 0 && cw == width && ch == height { return self }
        var out = [UInt8](repeating: 0, count: cw * ch * channels)
        for row in 0..<ch {
            let from = ((y0 + row) * width + x0) * channels
            out.replaceSubrange(
                row * cw * channels..<(row + 1) * cw * channels,
                with: pixels[from..<from + cw * channels])
        }
        return PixelImage(width: cw, height: ch, channels: channels, pixels: out)
    }
}
