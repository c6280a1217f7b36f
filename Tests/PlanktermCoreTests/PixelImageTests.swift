import PlanktermCore
import Testing

@Suite struct PixelImageTests {
    @Test("one resizer: growing is bilinear for the encoder and area blocks for the screen; shrinking averages areas")
    func growthModes() {
        let two = PixelImage(width: 2, height: 1, channels: 1, pixels: [0, 200])
        #expect(two.resized(width: 4, height: 1).pixels == [0, 50, 150, 200])
        #expect(two.resized(width: 4, height: 1, growth: .area).pixels == [0, 0, 200, 200])
        // 2 → 3 by area: the middle target pixel covers half of each source pixel.
        #expect(two.resized(width: 3, height: 1, growth: .area).pixels == [0, 100, 200])
        let four = PixelImage(width: 4, height: 1, channels: 1, pixels: [0, 100, 200, 40])
        #expect(four.resized(width: 2, height: 1, growth: .area) == four.resized(width: 2, height: 1))
        #expect(four.resized(width: 2, height: 1).pixels == [50, 120])
    }

    @Test("rgb repeats grey and takes the first three channels of colour")
    func rgb() {
        #expect(PixelImage(width: 1, height: 1, channels: 1, pixels: [7]).rgb(0, 0) == (7, 7, 7))
        #expect(PixelImage(width: 1, height: 1, channels: 4, pixels: [1, 2, 3, 9]).rgb(0, 0) == (1, 2, 3))
    }
}
