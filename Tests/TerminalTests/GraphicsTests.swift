import Foundation
import PlanktermCore
import TUI
import Terminal
import Testing

/// A 6 × 4 colour image whose pixels all differ.
func gradient(width: Int = 6, height: Int = 4, channels: Int = 3) -> PixelImage {
    let pixels = (0..<(width * height * channels)).map { UInt8(($0 * 37 + 11) % 256) }
    return PixelImage(width: width, height: height, channels: channels, pixels: pixels)
}

func placement(
    _ id: String, image: PixelImage = gradient(), x: Int = 0, y: Int = 0, columns: Int = 4, rows: Int = 2,
    cell: CellPixels = CellPixels(width: 10, height: 20)
) -> ImagePlacement {
    let boxW = columns * cell.width, boxH = rows * cell.height
    let s = min(Double(boxW) / Double(image.width), Double(boxH) / Double(image.height))
    let w = Int((Double(image.width) * s).rounded()), h = Int((Double(image.height) * s).rounded())
    return ImagePlacement(
        id: id, image: image, x: x, y: y, columns: columns, rows: rows,
        pixelX: (boxW - w) / 2, pixelY: (boxH - h) / 2, pixelWidth: w, pixelHeight: h)
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

func occurrences(_ needle: String, in haystack: String) -> Int { haystack.components(separatedBy: needle).count - 1 }

@Suite struct TerminalRepliesTests {
    @Test("the kitty OK, the device attributes and both pixel sizes are read from one reply stream")
    func parsesEveryReply() {
        let stream = "\u{1B}_Gi=31;OK\u{1B}\\" + "\u{1B}[6;21;9t" + "\u{1B}[4;840;900t" + "\u{1B}[?62;4;22c"
        let replies = TerminalReplies.parse(Array(stream.utf8))
        #expect(replies.kitty && replies.sixel && replies.deviceAttributes)
        #expect(replies.cellPixels == CellPixels(width: 9, height: 21))
        #expect(replies.windowPixels?.width == 900 && replies.windowPixels?.height == 840)
    }

    @Test("attributes without 4 are no sixel; a kitty error or another id is no kitty; garbage is ignored")
    func rejectsLookAlikes() {
        let stream =
            "junk\u{1B}_Gi=31;ENOTSUPPORTED:no\u{1B}\\" + "\u{1B}_Gi=7;OK\u{1B}\\" + "\u{1B}[?62;14;22c\u{1B}[5;1;2t"
        let replies = TerminalReplies.parse(Array(stream.utf8))
        #expect(!replies.kitty && !replies.sixel && replies.deviceAttributes)
        #expect(replies.cellPixels == nil && replies.windowPixels == nil)
        #expect(TerminalReplies.parse([]) == TerminalReplies())
    }

    @Test("the queries end with the device attributes; inside tmux they go through passthrough with ESC doubled")
    func queries() {
        let plain = text(GraphicsProbe.queries(tmux: false))
        #expect(plain.hasPrefix("\u{1B}_Gi=31,") && plain.contains("a=q") && plain.contains("\u{1B}[16t\u{1B}[14t"))
        #expect(plain.hasSuffix("\u{1B}[c"))
        let wrapped = text(GraphicsProbe.queries(tmux: true))
        #expect(wrapped.hasPrefix("\u{1B}Ptmux;\u{1B}\u{1B}_G"))
        #expect(wrapped.hasSuffix("\u{1B}\\\u{1B}[c"))
    }
}

@Suite struct GraphicsChoiceTests {
    let window = (columns: 100, rows: 40, width: 0, height: 0)

    @Test("auto: kitty before iTerm2 before sixel, else blocks")
    func autoOrder() {
        var replies = TerminalReplies()
        replies.deviceAttributes = true
        #expect(
            GraphicsProbe.choose(
                requested: .auto, replies: replies, environment: [:], window: window, tmuxPassthrough: nil
            ).mode == .blocks)
        replies.sixel = true
        #expect(
            GraphicsProbe.choose(
                requested: .auto, replies: replies, environment: [:], window: window, tmuxPassthrough: nil
            ).mode == .sixel)
        #expect(
            GraphicsProbe.choose(
                requested: .auto, replies: replies, environment: ["LC_TERMINAL": "iTerm2"], window: window,
                tmuxPassthrough: nil
            ).mode == .iterm)
        replies.kitty = true
        #expect(
            GraphicsProbe.choose(
                requested: .auto, replies: replies, environment: ["LC_TERMINAL": "iTerm2"], window: window,
                tmuxPassthrough: nil
            ).mode == .kitty)
    }

    @Test("inside tmux: blocks without passthrough, the pane's offset with it; a forced mode is kept")
    func tmux() {
        var replies = TerminalReplies()
        replies.kitty = true
        let off = GraphicsProbe.choose(
            requested: .auto, replies: replies, environment: [:], window: window, tmuxPassthrough: false)
        #expect(off.mode == .blocks && off.summary.contains("allow-passthrough"))
        let on = GraphicsProbe.choose(
            requested: .auto, replies: replies, environment: [:], window: window, tmuxPassthrough: true,
            tmuxPane: TmuxPane(left: 3, top: 2))
        #expect(on.mode == .kitty && on.tmuxPane == TmuxPane(left: 3, top: 2))
        #expect(
            GraphicsProbe.choose(
                requested: .sixel, replies: TerminalReplies(), environment: [:], window: window,
                tmuxPassthrough: false
            ).mode == .sixel)
    }

    @Test("the cell size: CSI 16 t, else CSI 14 t over the cells, else TIOCGWINSZ, else 10×20")
    func cellSize() {
        var replies = TerminalReplies()
        let assumed = GraphicsProbe.choose(
            requested: .kitty, replies: replies, environment: [:], window: window, tmuxPassthrough: nil)
        #expect(assumed.cellPixels == CellPixels(width: 10, height: 20) && assumed.summary.contains("assumed"))
        let ioctl = GraphicsProbe.choose(
            requested: .kitty, replies: replies, environment: [:],
            window: (100, 40, 700, 640), tmuxPassthrough: nil)
        #expect(ioctl.cellPixels == CellPixels(width: 7, height: 16))
        replies.windowPixels = (800, 600)
        #expect(
            GraphicsProbe.choose(
                requested: .kitty, replies: replies, environment: [:], window: (100, 40, 700, 640),
                tmuxPassthrough: nil
            ).cellPixels == CellPixels(width: 8, height: 15))
        replies.cellPixels = CellPixels(width: 9, height: 18)
        #expect(
            GraphicsProbe.choose(
                requested: .kitty, replies: replies, environment: [:], window: (100, 40, 700, 640),
                tmuxPassthrough: nil
            ).cellPixels == CellPixels(width: 9, height: 18))
        #expect(
            GraphicsProbe.choose(
                requested: .blocks, replies: replies, environment: [:], window: window,
                tmuxPassthrough: nil
            ).cellPixels == nil)
    }
}

@Suite struct EncoderTests {
    let cell = CellPixels(width: 10, height: 20)

    @Test("the canvas has the box's aspect, the picture opaque in its place and the rest transparent")
    func placedPixels() {
        // 6 × 4 in a 40 × 40 box: shown 40 × 27 (rounded), sent at its own 6 px width on a 6 × 6 canvas.
        let p = placement("a", columns: 4, rows: 2)
        let pixels = PlacedPixels(p, cell: cell)
        #expect(pixels.width == 6 && pixels.height == 6)
        let alpha = stride(from: 3, to: pixels.rgba.count, by: 4).map { pixels.rgba[$0] }
        #expect(alpha.filter { $0 == 255 }.count == 24)
        // The first opaque row is the image's first row, colour for colour.
        let firstOpaque = alpha.firstIndex(of: 255)! / 6
        let source = gradient()
        for x in 0..<6 {
            let i = (firstOpaque * 6 + x) * 4
            #expect((pixels.rgba[i], pixels.rgba[i + 1], pixels.rgba[i + 2]) == source.rgb(x, 0))
        }
    }

    @Test("grey images are sent as grey RGB")
    func grey() {
        let image = PixelImage(width: 2, height: 2, channels: 1, pixels: [0, 80, 160, 240])
        let pixels = PlacedPixels(placement("g", image: image, columns: 2, rows: 1), cell: cell)
        let opaque = stride(from: 0, to: pixels.rgba.count, by: 4).filter { pixels.rgba[$0 + 3] == 255 }
        #expect(opaque.map { pixels.rgba[$0] } == [0, 80, 160, 240])
        #expect(opaque.allSatisfy { pixels.rgba[$0] == pixels.rgba[$0 + 1] && pixels.rgba[$0] == pixels.rgba[$0 + 2] })
    }

    @Test("kitty: transmitted in chunks of at most 4096 base64 bytes, m=1 on all but the last, quiet (q=2)")
    func kittyChunks() {
        // Noise does not compress: several chunks.
        var rng = SeededGenerator(seed: 7)
        let noisy = PixelImage(
            width: 64, height: 64, channels: 3,
            pixels: (0..<(64 * 64 * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let out = text(
            KittyGraphics.transmit(id: 5, PlacedPixels(placement("n", image: noisy, columns: 7, rows: 4), cell: cell)))
        let chunks = out.components(separatedBy: "\u{1B}\\").filter { !$0.isEmpty }
        #expect(chunks.count > 2)
        #expect(chunks[0].hasPrefix("\u{1B}_Ga=t,q=2,f=32,o=z,t=d,i=5,s=64,v=73,m=1;"))  // 64 px on a canvas of the 70 × 80 box's aspect
        for (i, chunk) in chunks.enumerated() {
            let payload = chunk.split(separator: ";", maxSplits: 1)[1]
            #expect(payload.count <= 4096)
            #expect(Data(base64Encoded: String(payload)) != nil)
            #expect(chunk.contains(i == chunks.count - 1 ? "m=0;" : "m=1;"))
        }
    }

    @Test("iTerm2: a PNG whose chunks carry correct lengths and names, sized in cells")
    func iterm() throws {
        let out = text(ITermGraphics.image(PlacedPixels(placement("i"), cell: cell), columns: 4, rows: 2))
        #expect(out.hasPrefix("\u{1B}]1337;File=inline=1;size="))
        #expect(out.contains(";width=4;height=2;preserveAspectRatio=0:") && out.hasSuffix("\u{07}"))
        let base64 = out.split(separator: ":", maxSplits: 1)[1].dropLast()
        let png = try #require(Data(base64Encoded: String(base64)))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(out.contains("size=\(png.count);"))
        #expect(String(decoding: png[12..<16], as: UTF8.self) == "IHDR")
        #expect(Array(png[16..<24]) == [0, 0, 0, 6, 0, 0, 0, 6])
        #expect(String(decoding: png.suffix(8).prefix(4), as: UTF8.self) == "IEND")
    }

    @Test("sixel (chafa): a DCS with raster attributes at the box's pixel size")
    func sixel() {
        let out = text(
            SixelGraphics.image(
                PlacedPixels(placement("s", columns: 4, rows: 2), cell: cell), columns: 4, rows: 2, cell: cell))
        #expect(out.hasPrefix("\u{1B}P"))
        // 40 px across; chafa keeps the height within the box, in whole six-pixel sixel bands.
        #expect(out.contains("q\"1;1;40;36#"))
        #expect(out.hasSuffix("\u{1B}\\"))
    }
}

@Suite struct GraphicsLayerTests {
    let cell = CellPixels(width: 10, height: 20)

    @Test("kitty: an unchanged frame costs nothing; a new picture is sent once and placed; a return is placed only")
    func kittyIds() {
        let layer = GraphicsLayer(mode: .kitty, cell: cell)
        let first = text(layer.update([placement("main 1"), placement("thumb 2", x: 10)]).bytes)
        #expect(occurrences("a=t,", in: first) == 2 && occurrences("a=p,", in: first) == 2)
        #expect(first.hasPrefix("\u{1B}7") && first.hasSuffix("\u{1B}8"))
        #expect(layer.update([placement("main 1"), placement("thumb 2", x: 10)]).bytes.isEmpty)
        let next = text(layer.update([placement("main 3"), placement("thumb 2", x: 10)]).bytes)
        #expect(
            occurrences("a=t,", in: next) == 1 && occurrences("d=i,", in: next) == 1
                && occurrences("a=p,", in: next) == 1)
        let back = text(layer.update([placement("main 1"), placement("thumb 2", x: 10)]).bytes)
        #expect(occurrences("a=t,", in: back) == 0 && occurrences("a=p,", in: back) == 1)
        #expect(back.contains("\u{1B}[1;1H"))
    }

    @Test("kitty keeps at most `keep` images and frees the oldest")
    func kittyEvicts() {
        let layer = GraphicsLayer(mode: .kitty, cell: cell, keep: 2)
        for i in 0..<3 { _ = layer.update([placement("main \(i)")]) }
        let out = text(layer.update([placement("main 0")]).bytes)
        #expect(occurrences("a=t,", in: out) == 1)  // sent again: it had been freed
        #expect(out.contains("d=I,"))
    }

    @Test("sixel: a changed picture has its rows repainted, and what shares them is drawn again")
    func sixelRepaint() {
        let layer = GraphicsLayer(mode: .sixel, cell: cell)
        let first = layer.update([placement("main 1", y: 1), placement("thumb 2", x: 10, y: 1, rows: 1)])
        #expect(first.repaintRows.isEmpty && occurrences("\u{1B}P", in: text(first.bytes)) == 2)
        let same = layer.update([placement("main 1", y: 1), placement("thumb 2", x: 10, y: 1, rows: 1)])
        #expect(same.repaintRows.isEmpty && same.bytes.isEmpty)
        let changed = layer.update([placement("main 1", y: 1), placement("thumb 9", x: 10, y: 1, rows: 1)])
        #expect(changed.repaintRows == [1..<2])
        #expect(occurrences("\u{1B}P", in: text(changed.bytes)) == 2)
        // After a full clear everything is drawn again.
        _ = layer.reset()
        #expect(occurrences("\u{1B}P", in: text(layer.update([placement("main 1", y: 1)]).bytes)) == 1)
    }

    @Test("inside tmux every sequence goes through passthrough, positioned at the pane's offset")
    func tmuxPassthrough() {
        let layer = GraphicsLayer(mode: .iterm, cell: cell, tmuxPane: TmuxPane(left: 5, top: 2))
        let out = text(layer.update([placement("main 1", x: 1, y: 1)]).bytes)
        #expect(out.contains("\u{1B}Ptmux;\u{1B}\u{1B}[4;7H\u{1B}\u{1B}]1337;File="))
    }
}
