import Testing

extension Tag {
    /// A test that takes more than about 10 s of CPU in a debug build (pretraining, a worker's MLP, the
    /// 13,018 NDSB images, tmux sessions waiting on training). Swift 6.3's `swift test` cannot select by
    /// tag, so README's fast run skips these by name: keep its `--skip` list in step with this tag.
    @Tag public static var slow: Self
}
