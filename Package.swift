// swift-tools-version:6.1
// plankterm — label plankton images in the terminal.
// Layout and dependency direction: see HOUSE_STYLE in DESIGN.md. Each C library is wrapped by exactly
// one target; Swift 6 language mode with strict concurrency everywhere.
import PackageDescription

let package = Package(
    name: "plankterm",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "plankterm", targets: ["plankterm"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // MARK: C libraries (system-library targets; apt packages named for `swift build` hints)
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CLibJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        // Sixel output for the labeling screen (chafa's canvas), and zlib for kitty and iTerm2 images.
        .systemLibrary(name: "CChafa", pkgConfig: "chafa", providers: [.apt(["libchafa-dev"])]),
        .systemLibrary(name: "CLibZ", providers: [.apt(["zlib1g-dev"])]),
        // The codec shim: libpng/libjpeg error longjmps stay inside these C frames.
        .target(name: "CImageCodecs", dependencies: ["CLibPNG", "CLibJPEG"]),
        // The encoder's elementwise loops, where C's `restrict` lets the compiler vectorise.
        // The encoder's inner loops are optimised in debug builds too: at -O0 the depthwise convolutions of
        // EfficientNet-Lite0 made every test that embeds images several times slower.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

        // MARK: Swift layers (a target depends only on targets below it)
        .target(name: "PlanktermCore"),
        .target(name: "Store", dependencies: [
            "PlanktermCore",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "Linalg", dependencies: ["PlanktermCore", "COpenBLAS"]),
        .target(name: "Imaging", dependencies: ["PlanktermCore", "CImageCodecs"]),
        .target(name: "NN", dependencies: ["PlanktermCore", "Linalg", "CKernels"]),
        .target(name: "Neighbors", dependencies: ["PlanktermCore", "Linalg"]),
        .target(name: "Learning", dependencies: ["PlanktermCore", "Linalg", "Neighbors", "NN"]),
        .target(name: "Labeling", dependencies: ["PlanktermCore"]),
        .target(name: "TUI", dependencies: ["PlanktermCore", "Labeling"]),
        .target(name: "Terminal", dependencies: ["PlanktermCore", "TUI", "CNcursesw", "CChafa", "CLibZ"]),
        .target(name: "Project", dependencies: [
            "PlanktermCore", "Store", "Imaging", "NN", "Neighbors", "Learning", "Labeling",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CSV", package: "CSV.swift"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], resources: [.copy("Resources")]),
        // The commands reach the database only through Project (ProjectHandle), never Store directly.
        .executableTarget(name: "plankterm", dependencies: [
            "PlanktermCore", "Imaging", "Project", "Linalg", "NN", "Neighbors", "Learning", "Terminal", "TUI",
            "Labeling",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ], resources: [.copy("Resources")]),

        // MARK: Tests
        .testTarget(name: "PlanktermCoreTests", dependencies: ["PlanktermCore"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CImageCodecs", "PlanktermCore", "TestSupport"]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "CKernels", "PlanktermCore", "TestSupport"]),
        .testTarget(name: "NeighborsTests", dependencies: ["Neighbors", "PlanktermCore"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Neighbors", "PlanktermCore", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal", "TUI", "PlanktermCore"]),
        .testTarget(
            name: "TUITests", dependencies: ["TUI", "Labeling", "PlanktermCore", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "LabelingTests", dependencies: ["Labeling", "TUI", "PlanktermCore"]),
        .testTarget(name: "ProjectTests", dependencies: [
            "Project", "Store", "Imaging", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "CLITests", dependencies: [
            "plankterm", "Project", "Store", "NN", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "TestSupport", dependencies: ["PlanktermCore"], path: "Tests/TestSupport"),
    ]
)
