import Labeling

extension LabelScreen {
    /// This screen as the labeling loop's view: its size rule, its Grid layout and its render.
    public var labelingView: LabelingView<ScreenBuffer> {
        LabelingView(
            fits: { Self.fits(width: $0, height: $1) },
            gridLayout: { width, height in
                let layout = Self.gridLayout(width: width, height: height)
                return (layout.columns, layout.rows)
            },
            render: { self.render($0, width: $1, height: $2) })
    }
}
