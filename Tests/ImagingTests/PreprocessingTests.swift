import Imaging
import PlanktermCore
import Testing

@Suite("Preprocessing: luma, border background, polarity, pad to square, resize")
struct PreprocessingTests {
    @Test("luma uses Rec. 601 weights, as Pillow's L mode")
    func luma() {
        let rgb = PixelImage(width: 3, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 10, 20, 30])
        let gray = Preprocessing.luma(rgb)
        #expect(gray.channels == 1)
        #expect(gray.pixels == [76, 150, 18])  // 0.299·255, 0.587·255, 0.299·10 + 0.587·20 + 0.114·30
    }

    @Test("the background is the median of the border, not of the object")
    func borderMedian() {
        var image = PixelImage(width: 7, height: 5, channels: 1, filledWith: [230])
        for y in 1..<4 { for x in 1..<6 { image[x, y] = 10 } }
        image[0, 0] = 0  // a dark corner pixel does not move the median
        image[6, 4] = 5
        #expect(Preprocessing.borderMedian(image) == [230])
    }

    @Test("padding to square centres the image on the fill value")
    func padToSquare() {
        let tall = PixelImage(width: 2, height: 4, channels: 1, pixels: [1, 2, 3, 4, 5, 6, 7, 8])
        let square = Preprocessing.padToSquare(tall, fill: [9])
        #expect(square.width == 4 && square.height == 4)
        #expect(square.pixels == [9, 1, 2, 9, 9, 3, 4, 9, 9, 5, 6, 9, 9, 7, 8, 9])
    }

    @Test("shrinking averages areas exactly")
    func areaAverage() {
        let image = PixelImage(width: 4, height: 2, channels: 1, pixels: [0, 100, 200, 40, 20, 60, 0, 0])
        let half = image.resized(width: 2, height: 1)
        #expect(half.pixels == [45, 60])  // (0+100+20+60)/4, (200+40+0+0)/4
        // 3 → 2: the middle source pixel is split half and half.
        let three = PixelImage(width: 3, height: 1, channels: 1, pixels: [0, 90, 180])
        let two = three.resized(width: 2, height: 1)
        #expect(two.pixels == [30, 150])  // (0 + 0.5·90)/1.5, (0.5·90 + 180)/1.5
    }

    @Test("a constant image stays constant at any size", arguments: [(1, 1), (5, 3), (64, 64), (200, 7)])
    func constant(width: Int, height: Int) {
        let image = PixelImage(width: 37, height: 23, channels: 3, filledWith: [17, 128, 250])
        let out = image.resized(width: width, height: height)
        #expect(out.width == width && out.height == height)
        #expect(Set(stride(from: 0, to: out.pixels.count, by: 3).map { out.pixels[$0] }) == [17])
        #expect(Set(stride(from: 2, to: out.pixels.count, by: 3).map { out.pixels[$0] }) == [250])
    }

    @Test("enlarging interpolates between neighbours")
    func enlarge() {
        let image = PixelImage(width: 2, height: 1, channels: 1, pixels: [0, 200])
        let out = image.resized(width: 4, height: 1)
        #expect(out.pixels == [0, 50, 150, 200])
    }

    @Test("the preprocessor inverts light backgrounds, pads and resizes")
    func preprocessor() {
        var image = PixelImage(width: 40, height: 20, channels: 1, filledWith: [240])
        for y in 5..<15 { for x in 10..<30 { image[x, y] = 20 } }
        let out = Preprocessor(side: 16)(image)
        #expect(out.inverted && out.background == 240)
        #expect(out.image.width == 16 && out.image.height == 16)
        #expect(out.image[0, 0] == 15)  // the padded margin is the inverted background
        #expect(out.image[8, 8] == 235)  // the object is now light
        #expect(abs(out.logLongestSide - 3.6889) < 1e-3)

        let dark = Preprocessor(side: 16)(PixelImage(width: 8, height: 8, channels: 1, filledWith: [12]))
        #expect(!dark.inverted && dark.image[3, 3] == 12)
        let kept = Preprocessor(side: 16, polarity: .keep)(image)
        #expect(!kept.inverted && kept.image[0, 0] == 240)
    }
}
