// Fuzzes `LabelFile.read` (Sources/Project/LabelFile.swift): CSV with any delimiter and EcoTaxa TSV,
// through CSV.swift. Any input may be refused with a ProjectError; none may crash, hang or leak.
// The entry point is libFuzzer's `main`: `swift build --sanitize=fuzzer` compiles executables with
// -parse-as-library, so this file has no top-level code.
import Foundation
import Project

/// The file each input is written to: LabelFile reads a path.
enum Input {
    static let path = NSTemporaryDirectory() + "/plankterm-fuzz-labelfile-\(getpid()).csv"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard FileManager.default.createFile(atPath: Input.path, contents: Data(bytes: data, count: size)) else {
        fatalError("cannot write \(Input.path)")
    }
    if let file = try? LabelFile.read(path: Input.path) {
        // What an import does next: read every record.
        var total = file.pathColumn.utf8.count + file.labelColumn.utf8.count
        for record in file.records {
            total &+= record.path.utf8.count &+ (record.className?.utf8.count ?? 0) &+ record.fields.count
            total &+= Int(record.time?.timeIntervalSince1970 ?? 0) &+ Int((record.confidence ?? 0) * 100)
        }
        _ = total
    }
    // Columns named on the command line (`plankterm import --path-column … --label-column …`).
    _ = try? LabelFile.read(path: Input.path, columns: LabelColumns(path: "img", label: "class", status: "status"))
    return 0
}
