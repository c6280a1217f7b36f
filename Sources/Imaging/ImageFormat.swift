/// The image file formats plankterm reads.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case png
    case jpeg

    /// The file name extensions (lower case) taken as images of some format.
    public static let fileExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// The format a file extension names, if any (case-insensitive).
    public init?(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg
        default: return nil
        }
    }

    /// The format the first bytes of a file show, if any.
    public init?(sniffing bytes: UnsafeRawBufferPointer) {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, zip(bytes.prefix(8), png).allSatisfy({ $0 == $1 }) {
            self = .png
        } else if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            self = .jpeg
        } else {
            return nil
        }
    }

    /// The name shown to people.
    public var name: String { self == .png ? "PNG" : "JPEG" }
}
