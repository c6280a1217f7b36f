// swift-tools-version:6.1
// libFuzzer harnesses for plankterm's Swift readers, outside the main package so that its manifest stays
// as it is. The readers are the project's own files, linked in (see Sources/): `Project` holds
// LabelFile.swift and ProjectError.swift, `fuzz-toml` holds plankterm's ThemeLoading.swift; PlanktermCore,
// Labeling and TUI are the project's targets whole. Built by Scripts/fuzz.sh (see there for the flags:
// `swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address …`).
import PackageDescription

let package = Package(
    name: "plankterm-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        // The versions /work/main resolves (its Package.resolved).
        .package(url: "https://github.com/yaslab/CSV.swift", exact: "2.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        .target(name: "PlanktermCore"),
        .target(name: "Labeling", dependencies: ["PlanktermCore"]),
        .target(name: "TUI", dependencies: ["PlanktermCore", "Labeling"]),
        .target(name: "Project", dependencies: ["PlanktermCore", .product(name: "CSV", package: "CSV.swift")]),
        // Only `HeadKind`, which the config reader checks `train_head` against (see the file).
        .target(name: "Learning"),
        // Only `GraphicsMode` (GraphicsMode.swift, linked), which the config reader checks `graphics` against.
        .target(name: "Terminal"),
        .executableTarget(name: "fuzz-labelfile", dependencies: ["Project"]),
        .executableTarget(name: "fuzz-toml", dependencies: [
            "PlanktermCore", "TUI", "Learning", "Terminal", .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
    ]
)
