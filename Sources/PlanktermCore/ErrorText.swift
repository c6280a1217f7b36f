import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Words for errors that come from the operating system or from Foundation, so that no
/// "The operation could not be completed. (NSCocoaErrorDomain error 256.)" ever reaches a person.
///
/// The OS error behind a Foundation error (its POSIX code) is named as `strerror` names it, in lower case:
/// "no space left on device", "permission denied", "is a directory".
public enum ErrorText {
    /// One short phrase for `error`.
    public static func describe(_ error: any Error) -> String {
        if !(type(of: error) is NSError.Type) {
            if let posix = error as? POSIXError { return errno(posix.code.rawValue) }
            if let cocoa = error as? CocoaError { return describe(cocoa) }
            if let decoding = error as? DecodingError { return describe(decoding) }
            // A Swift error of ours or of a library: its own words.
            return String(describing: error)
        }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return errno(Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? any Error { return describe(underlying) }
        if ns.domain == NSCocoaErrorDomain { return describe(CocoaError(CocoaError.Code(rawValue: ns.code))) }
        return withoutBoilerplate(ns.localizedFailureReason ?? ns.localizedDescription)
    }

    /// `strerror(code)` in lower case: "no space left on device".
    public static func errno(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        // Keep acronyms ("I/O error") as they are; lower only a capitalised first word.
        let second = text.dropFirst().first
        return second.map { $0.isUppercase } == true ? text : first.lowercased() + text.dropFirst()
    }

    /// The current `errno`, in words (read it before any other call can change it).
    public static func lastErrno() -> String {
        #if canImport(Glibc)
            errno(Glibc.errno)
        #else
            errno(Darwin.errno)
        #endif
    }

    private static func describe(_ error: CocoaError) -> String {
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? any Error { return describe(underlying) }
        switch error.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or folder"
        case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on device"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        case .fileWriteFileExists: return "it already exists"
        case .fileReadTooLarge: return "the file is too large to read"
        case .fileReadCorruptFile: return "the file's content is damaged or in an unexpected format"
        case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding:
            return "the text is not in the expected encoding (UTF-8)"
        case .fileReadInvalidFileName, .fileWriteInvalidFileName: return "the file name is not valid"
        case .fileLocking: return "the file is locked"
        default:
            return "cannot read or write the file (\(error.code.rawValue))"
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func at(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "" : " at \(path)"
        }
        switch error {
        case .dataCorrupted(let context):
            // At a field, the JSON was read and a value was refused: its decoder says why.
            return context.codingPath.isEmpty
                ? "not valid JSON" : "a bad value\(at(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context): return "no field \(key.stringValue)\(at(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "a field of the wrong kind\(at(context))"
        @unknown default: return "not the expected JSON"
        }
    }

    private static func withoutBoilerplate(_ text: String) -> String {
        var t = text
        for prefix in ["The operation could not be completed. ", "The operation couldn’t be completed. "]
        where t.hasPrefix(prefix) {
            t.removeFirst(prefix.count)
        }
        return t.isEmpty ? text : t
    }
}
