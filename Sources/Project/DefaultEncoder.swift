import Foundation

/// The encoder that ships with plankterm, if it is installed: EfficientNet-Lite0 with ImageNet weights
/// (Scripts/convert_efficientnet_lite0.py; see README and NOTICE). The earlier default, a small ResNet
/// trained with SimCLR on ../shared/data, stays beside it as `default-encoder.safetensors`, because
/// projects embedded with it record that path and keep using it.
public enum DefaultEncoder {
    public static let fileName = "efficientnet-lite0-imagenet.safetensors"
    /// The small ResNet that was the default before (64 px, 256-d).
    public static var previousPath: String? {
        Bundle.module.url(forResource: "default-encoder", withExtension: "safetensors", subdirectory: "Resources")?.path
    }

    /// Its path: PLANKTERM_DEFAULT_ENCODER, else the package's Resources folder, if present.
    public static var path: String? {
        if let env = ProcessInfo.processInfo.environment["PLANKTERM_DEFAULT_ENCODER"],
            FileManager.default.fileExists(atPath: env)
        {
            return env
        }
        if let url = Bundle.module.url(
            forResource: "efficientnet-lite0-imagenet", withExtension: "safetensors",
            subdirectory: "Resources")
        {
            return url.path
        }
        return nil
    }
}
