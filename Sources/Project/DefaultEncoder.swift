import Foundation

/// The encoder that ships with plankterm (pretrained on ../shared/data; see README), if it is installed.
public enum DefaultEncoder {
    public static let fileName = "default-encoder.safetensors"

    /// Its path: PLANKTERM_DEFAULT_ENCODER, else the package's Resources folder, if present.
    public static var path: String? {
        if let env = ProcessInfo.processInfo.environment["PLANKTERM_DEFAULT_ENCODER"],
           FileManager.default.fileExists(atPath: env) { return env }
        if let url = Bundle.module.url(forResource: "default-encoder", withExtension: "safetensors", subdirectory: "Resources") { return url.path }
        return nil
    }
}
