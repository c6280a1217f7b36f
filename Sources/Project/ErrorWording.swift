import Store

extension ProjectError {
    /// What a person reads for an error of a project or of its database (`ProjectError`, `StoreError`):
    /// the one-line message and perhaps a hint; nil for any other error.
    public static func wording(of error: any Error) -> (message: String, hint: String?)? {
        switch error {
        case let e as ProjectError: (e.description, e.hint)
        case let e as StoreError: (e.description, e.hint)
        default: nil
        }
    }
}
