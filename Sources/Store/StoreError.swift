/// What can go wrong with a project database. Every case names the project path.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// `plankterm init` on a folder that already holds a project.
    case alreadyExists(path: String)
    /// No project database where one was expected.
    case notAProject(path: String)
    /// The database was written by a newer plankterm.
    case newerSchema(path: String)
    /// SQLite reported an error.
    case database(path: String, message: String)
    /// The database file is there but is not a usable project database (empty, truncated, not SQLite).
    case damaged(path: String, reason: String)
    /// A label or lookup named an image that the project does not have.
    case unknownImage(String)
    /// A class name that cannot be stored (empty, or only spaces and control characters).
    case invalidClassName(String)
    /// A model id that the project does not have.
    case unknownModel(String)
    /// A class change that would lose or confuse labels (renaming onto an existing name, merging a
    /// class into itself).
    case refused(String)
    /// A model's stored parameters or metrics that do not read as the record they should be.
    case unreadableRecord(model: String, column: String, reason: String)

    public var description: String {
        switch self {
        case .alreadyExists(let p): return "\(p): a plankterm project already exists here"
        case .notAProject(let p): return "\(p): not a plankterm project (no \(ProjectStore.databaseFileName))"
        case .newerSchema(let p): return "\(p): the project was written by a newer plankterm"
        case .database(let p, let m): return "\(p): database error: \(m)"
        case .damaged(let p, let r): return "\(p): damaged project database: \(r); nothing was changed"
        case .unknownImage(let i): return "no image \(i) in this project"
        case .invalidClassName(let n): return "invalid class name \(n.debugDescription)"
        case .unknownModel(let m): return "no classifier \(m) in this project"
        case .refused(let why): return why
        case .unreadableRecord(let m, let c, let r): return "model \(m): its stored \(c) cannot be read (\(r))"
        }
    }

    /// A suggestion for the person who hit the error, if one helps.
    public var hint: String? {
        switch self {
        case .alreadyExists: return "use 'plankterm import' to add images to an existing project"
        case .notAProject: return "create one with 'plankterm init PROJECT --images DIR'"
        case .newerSchema: return "update plankterm"
        case .damaged: return "restore plankterm.sqlite (with its -wal file, if any) from a backup"
        case .database(_, let m) where m.contains("locked") || m.contains("busy"):
            return "another plankterm process is writing to this project; try again"
        default: return nil
        }
    }
}
