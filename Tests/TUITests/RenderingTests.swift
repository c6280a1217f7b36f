import PlanktermCore
import Testing

@testable import TUI

@Suite struct SanitizerTests {
    @Test func controlAndEscapeSequencesNeverReachTheScreen() {
        let hostile = "cope\u{1B}[2Jpod\u{1B}]0;x\u{07}\r\n\t\u{7F}\u{9B}31m\u{202E}gnp.exe"
        let safe = Sanitizer.sanitize(hostile)
        #expect(
            !safe.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E })
        #expect(safe.hasPrefix("cope␛[2Jpod␛]0;x␇␍␊␉"))
        #expect(Sanitizer.sanitize("Calanus finmarchicus – 3 µm") == "Calanus finmarchicus – 3 µm")
    }

    @Test func everyCharacterIsOneColumn() {
        #expect(Sanitizer.sanitize("珪藻🦐a\u{0301}") == "???a")
    }

    @Test func writesAreCutWithAnEllipsisAndStayInside() {
        var screen = ScreenBuffer(width: 10, height: 2)
        let used = screen.write("acantharia_protist", x: 2, y: 1)
        #expect(used == 8)
        #expect(screen.text == "          \n  acantha…")
        screen.write("\u{1B}[2J", x: 0, y: 0)
        #expect(screen.text.hasPrefix("␛[2J"))
        screen.write("x", x: 10, y: 0)  // off-screen writes are ignored
        screen.write("x", x: 0, y: 5)
        #expect(screen.cells.count == 20)
    }
}

@Suite struct BlitterTests {
    func bitmap(_ width: Int, _ height: Int, _ f: (Int, Int) -> UInt8) -> PixelImage {
        var p: [UInt8] = []
        for y in 0..<height { for x in 0..<width { p.append(f(x, y)) } }
        return PixelImage(width: width, height: height, channels: 1, pixels: p)
    }

    @Test func halfBlocksCarryTopAndBottomPixelsInTrueColor() {
        // 2×4: rows alternate black and white, so every cell is black over white.
        let image = bitmap(2, 4) { _, y in y % 2 == 0 ? 0 : 255 }
        let cells = HalfBlockBlitter(depth: .trueColor).render(image, columns: 2, rows: 2)
        for row in cells {
            for cell in row {
                #expect(cell.character == "▀")
                #expect(cell.foreground == .rgb(0, 0, 0) && cell.background == .rgb(255, 255, 255))
            }
        }
    }

    @Test func quadrantsSplitEachCellIntoTheTwoColoursThatFitIt() {
        // 4×4 pixels in 2×2 cells: cell (0,0) white only at its upper left; cell (1,0) a vertical split;
        // cell (0,1) a diagonal; cell (1,1) all grey.
        let pattern: [[UInt8]] = [
            [255, 0, 0, 255],
            [0, 0, 0, 255],
            [255, 0, 90, 90],
            [0, 255, 90, 90]
        ]
        let image = bitmap(4, 4) { x, y in pattern[y][x] }
        // 4×4 pixels fit 4 columns × 2 rows at 1 × 2 pixels a cell; ask for exactly 2 × 2 cells of quadrants.
        let blitter = QuadrantBlitter(depth: .trueColor)
        let cells = blitter.render(bitmap(8, 8) { x, y in pattern[y / 2][x / 2] }, columns: 4, rows: 2)
        #expect(cells.count == 2 && cells[0].count == 4)
        let direct = [[blitter.quadrantCell([(255, 255, 255), (0, 0, 0), (0, 0, 0), (0, 0, 0)])]]
        #expect(
            direct[0][0].character == "▘" && direct[0][0].foreground == .rgb(255, 255, 255)
                && direct[0][0].background == .rgb(0, 0, 0))
        let split = blitter.quadrantCell([(0, 0, 0), (255, 255, 255), (0, 0, 0), (255, 255, 255)])
        #expect(split.character == "▌" && split.foreground == .rgb(0, 0, 0) && split.background == .rgb(255, 255, 255))
        let diagonal = blitter.quadrantCell([(255, 255, 255), (0, 0, 0), (0, 0, 0), (255, 255, 255)])
        #expect(diagonal.character == "▚")
        let flat = blitter.quadrantCell([(90, 90, 90), (90, 90, 90), (90, 90, 90), (90, 90, 90)])
        #expect(flat.character == " " && flat.background == .rgb(90, 90, 90))
        _ = image
        // 16 colours and non-UTF-8 locales keep the ASCII ramp whatever the setting.
        #expect(
            QuadrantBlitter(depth: .palette16).render(image, columns: 2, rows: 2)
                .joined().allSatisfy { HalfBlockBlitter.ramp.contains($0.character) })
    }

    @Test func aspectIsKeptAndThePictureCentred() {
        // A wide 40×10 image in a 20×10-cell box: 20 columns × 2.5 → 3 rows, centred vertically.
        #expect(HalfBlockBlitter.fit(width: 40, height: 10, columns: 20, rows: 10) == (20, 3))
        #expect(HalfBlockBlitter.fit(width: 10, height: 40, columns: 20, rows: 10) == (5, 10))
        let cells = HalfBlockBlitter(depth: .trueColor).render(bitmap(40, 10) { _, _ in 128 }, columns: 20, rows: 10)
        #expect(cells.count == 10 && cells.allSatisfy { $0.count == 20 })
        let drawn = (0..<10).filter { r in cells[r].contains { $0.character == "▀" } }
        #expect(drawn == [3, 4, 5])
    }

    @Test func greysMapToTheGreyRampIn256Colours() {
        for v in stride(from: 0, through: 255, by: 17) {
            let index = Int(ColorQuantizer.nearest256(UInt8(v), UInt8(v), UInt8(v)))
            let (r, g, b) = ColorQuantizer.rgb(ofIndex: index)
            #expect(r == g && g == b, "grey \(v) → \(index)")
            #expect(abs(Int(r) - v) <= 10, "grey \(v) → \(r)")
        }
        // A saturated colour goes to the cube, not to a grey.
        let red = ColorQuantizer.nearest256(220, 20, 20)
        #expect(ColorQuantizer.rgb(ofIndex: Int(red)) == (215, 0, 0))
    }

    @Test func monochromeUsesTheDensityRampSoShapesStayVisible() {
        // A dark disc on white: the centre is darker (earlier in the ramp) than the corners.
        let image = bitmap(16, 16) { x, y in (x - 8) * (x - 8) + (y - 8) * (y - 8) < 25 ? 20 : 235 }
        let cells = HalfBlockBlitter(depth: .mono).render(image, columns: 16, rows: 8)
        let ramp = HalfBlockBlitter.ramp
        let centre = ramp.firstIndex(of: cells[4][8].character)!, corner = ramp.firstIndex(of: cells[0][0].character)!
        #expect(centre < corner)
        #expect(cells.joined().allSatisfy { $0.character.isASCII })
    }

    @Test func areaAveragingKeepsMeanBrightness() {
        let image = bitmap(9, 9) { x, y in (x + y) % 2 == 0 ? 0 : 255 }
        let small = image.resized(width: 3, height: 3)
        let mean = small.pixels.map(Int.init).reduce(0, +) / 9
        #expect(abs(mean - 126) <= 2)  // 40 of the 81 pixels are white: 40 · 255 / 81 ≈ 126
        #expect(Set(small.pixels) == [113, 142])  // blocks of 5 black + 4 white, or 4 + 5
    }
}
