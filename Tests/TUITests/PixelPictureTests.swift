import Labeling
import PlanktermCore
import Testing

@testable import TUI

/// The Label screen with pixel graphics: pictures become placements over blank cells, zoom and
/// size-true change what and how large they are.
@Suite struct PixelPictureTests {
    let cell = CellPixels(width: 10, height: 20)

    func screen(_ cellPixels: CellPixels?) -> LabelScreen {
        LabelScreen(blitter: HalfBlockBlitter(depth: .trueColor), cellPixels: cellPixels)
    }

    @Test("with a cell size, the main image and every neighbour are placed in pixels and no half block is drawn")
    func placements() {
        let state = GoldenTests.fixture()
        let out = screen(cell).render(state, width: 120, height: 40)
        #expect(!out.text.contains("▀"))
        #expect(out.images.count == 1 + state.current!.neighbors.count)
        let main = out.images[0]
        #expect(main.id.hasPrefix("main 7") && main.x == 0 && main.y == 1)
        // The 48 × 48 disc fitted to the box with its aspect kept, centred.
        let box = main.boxPixels(cellWidth: 10, cellHeight: 20)
        #expect(main.pixelWidth == main.pixelHeight && (main.pixelWidth == box.width || main.pixelHeight == box.height))
        #expect(main.pixelX == (box.width - main.pixelWidth) / 2 && main.pixelY == (box.height - main.pixelHeight) / 2)
        // Every placement lies on cells left as background.
        for p in out.images {
            for y in p.y..<(p.y + p.rows) {
                for x in p.x..<(p.x + p.columns) {
                    #expect(out[x, y].character == " " && out[x, y].background == .role(.background))
                }
            }
        }
        // The same state without a cell size draws today's half blocks and places nothing.
        let blocks = screen(nil).render(state, width: 120, height: 40)
        #expect(blocks.images.isEmpty && blocks.text.contains("▀"))
    }

    @Test("the help overlay hides the pictures; the picture's own resolution is used when known")
    func helpAndPicture() {
        var state = GoldenTests.fixture()
        state.current!.picture = GoldenTests.disc(96, radius: 30, dark: true)
        #expect(screen(cell).render(state, width: 120, height: 40).images[0].image.width == 96)
        state.mode = .help
        var s = screen(cell)
        s.imagesLine = "images: sixel (test)"
        let help = s.render(state, width: 120, height: 40)
        #expect(help.images.isEmpty && help.text.contains("images: sixel (test)"))
    }

    @Test("zoom ×2 shows half the image across, from where the pan says")
    func zoom() {
        var state = GoldenTests.fixture()
        let wide = PixelImage(width: 200, height: 100, channels: 1, pixels: (0..<20_000).map { UInt8($0 % 200) })
        state.current!.picture = wide
        let fitted = screen(cell).render(state, width: 120, height: 40).images[0]
        #expect(fitted.image.width == 200)
        state.zoom = 2
        state.panX = 0.25
        let zoomed = screen(cell).render(state, width: 120, height: 40).images[0]
        #expect(zoomed.image.width == 100 && zoomed.image.height == 100)
        // The crop starts at the left edge (centre at a quarter), and each row's first value says so.
        #expect(zoomed.image.pixels[0] == 0 && zoomed.id.contains(" 0,0,100x100"))
        #expect(zoomed.pixelWidth == fitted.pixelWidth)
        // In blocks the crop is drawn too: the cells differ from the fitted ones.
        let blocksFitted = screen(nil).render(GoldenTests.fixture(), width: 120, height: 40)
        var blockState = GoldenTests.fixture()
        blockState.zoom = 4
        #expect(screen(nil).render(blockState, width: 120, height: 40).cells != blocksFitted.cells)
    }

    @Test("size-true: a small image is drawn smaller than a large one, at one scale, with a scale bar")
    func sizeTrue() {
        var state = GoldenTests.fixture()
        let small = PixelImage(width: 10, height: 10, channels: 1, pixels: [UInt8](repeating: 30, count: 100))
        let large = PixelImage(width: 40, height: 40, channels: 1, pixels: [UInt8](repeating: 30, count: 1600))
        state.current!.neighbors[0].thumbnail = small
        state.current!.neighbors[1].thumbnail = large
        let fitted = screen(cell).render(state, width: 120, height: 40).images
        #expect(fitted[1].pixelWidth == fitted[2].pixelWidth)
        state.sizeTrue = true
        let out = screen(cell).render(state, width: 120, height: 40)
        let trueSize = out.images
        #expect(trueSize[2].pixelWidth == trueSize[1].pixelWidth * 4)
        #expect(out.text.contains("size-true ├") && out.text.contains(" px"))
        // A thumbnail that stands for a 4× wider image is drawn 4× larger.
        state.current!.neighbors[0].fullWidth = 40
        let shrunk = screen(cell).render(state, width: 120, height: 40).images
        #expect(shrunk[1].pixelWidth == shrunk[2].pixelWidth)
        // In µm when the pixel size is known.
        var micro = screen(cell)
        micro.pixelSizeMicrometres = 5
        #expect(micro.render(state, width: 120, height: 40).text.contains(" µm"))
    }

    @Test("the scale bar's length is its value at the scale")
    func scaleBar() {
        // Blocks: a column is 1 / scale image pixels; at 0.5 a column is 2 px, so 20 px is 10 columns.
        let bar = screen(nil).scaleBar(scale: 0.5)
        #expect(bar == "size-true ├────────┤ 20 px")
        let pixels = screen(cell).scaleBar(scale: 1)  // 10 px a column: 100 px in 10 columns
        #expect(pixels == "size-true ├────────┤ 100 px")
    }
}
