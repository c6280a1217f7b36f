import Foundation
import PlanktermCore

/// Turns a decoded image into the encoder's input.
///
/// luma → background = median of the border → (optionally) invert so that every instrument shows light
/// objects on a dark background → pad to square with the background → resize to `side`. Padding rather
/// than stretching keeps the object's shape; its size, which is informative, is kept as
/// log(original longest side).
public struct Preprocessor: Sendable {
    /// Which way round the output's contrast is.
    public enum Polarity: String, Sendable, Codable {
        /// As in the file.
        case keep
        /// Invert images whose background is brighter than mid-grey, so objects are light on dark.
        case lightOnDark
    }

    public var side: Int
    public var polarity: Polarity

    public init(side: Int = 64, polarity: Polarity = .lightOnDark) {
        precondition(side > 0, "side must be positive")
        self.side = side
        self.polarity = polarity
    }

    /// The preprocessed image and what was learned on the way.
    public struct Output: Sendable, Equatable {
        /// `side`×`side`, one channel.
        public var image: PixelImage
        /// The border median of the original (before any inversion).
        public var background: UInt8
        /// Whether the pixels were inverted.
        public var inverted: Bool
        /// log of the original's longest side in pixels: size is informative for plankton.
        public var logLongestSide: Float
    }

    public func callAsFunction(_ image: PixelImage) -> Output {
        var gray = Preprocessing.luma(image)
        let background = Preprocessing.borderMedian(gray)[0]
        let invert = polarity == .lightOnDark && background > 127
        if invert {
            for i in gray.pixels.indices { gray.pixels[i] = 255 - gray.pixels[i] }
        }
        let fill: UInt8 = invert ? 255 - background : background
        let square = Preprocessing.padToSquare(gray, fill: [fill])
        let resized = square.resized(width: side, height: side)
        let longest = max(1, max(image.width, image.height))
        return Output(
            image: resized, background: background, inverted: invert,
            logLongestSide: Float(log(Double(longest))))
    }
}
