// Fuzzes plankterm's TOML readers (Sources/plankterm/ThemeLoading.swift, through TOMLKit): each input is
// read both as a theme file (`ThemeLoading.parse`) and as PROJECT/config.toml (`PlanktermConfig.load`).
// Any input may be refused with a CommandFailure; none may crash, hang or leak.
import Foundation

/// A folder of its own: config.toml is looked up in a project folder.
enum Input {
    static let folder: String = {
        let folder = NSTemporaryDirectory() + "/plankterm-fuzz-toml-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()
    static let theme = folder + "/theme.toml"
    static let config = folder + "/config.toml"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard FileManager.default.createFile(atPath: Input.theme, contents: bytes),
          FileManager.default.createFile(atPath: Input.config, contents: bytes)
    else { fatalError("cannot write in \(Input.folder)") }
    if let theme = try? ThemeLoading.parse(Input.theme) {
        _ = theme.colors.count + theme.name.utf8.count
    }
    if let config = try? PlanktermConfig.load(project: Input.folder) {
        _ = (config.theme, config.trainEvery, config.trainHead, config.blitter)
    }
    return 0
}
