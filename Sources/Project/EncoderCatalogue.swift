import Foundation
import PlanktermCore
import Store

/// An encoder registered in a project (`model` rows of kind `encoder`).
public struct RegisteredEncoder: Sendable {
    public var id: String
    public var createdAt: Date
    /// What it recorded; nil when the stored parameters do not read.
    public var parameters: EncoderParameters?
    /// Its weights file as a path (absolute, or inside the project folder), nil for encoders without
    /// weights (synthetic embeddings); the file need not exist.
    public var weights: String?
}

/// The project's encoders: the one place that registers them and decides which weights embedding uses.
///
/// An encoder's weights path is recorded by `ProjectLayout.stored(_:currentDirectory:)`, relative to the
/// project folder when the file is inside it and absolute otherwise, and read back by
/// `ProjectLayout.resolve(_:)`, so rows of either form (pretrain and finetune wrote relative paths, embed
/// absolute ones) read as they did. Registering an id again keeps its first row.
public struct EncoderCatalogue: Sendable {
    let store: ProjectStore
    public var layout: ProjectLayout { ProjectLayout(directory: store.directory) }

    init(store: ProjectStore) { self.store = store }

    /// The model kind encoders are recorded under.
    static let kind = "encoder"

    /// Records encoder `id` with `parameters`, its weights path stored by the project's rule.
    func register(
        id: String, parameters: EncoderParameters, createdAt: Date,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws {
        var parameters = parameters
        parameters.weights = parameters.weights.map { layout.stored($0, currentDirectory: currentDirectory) }
        try store.registerModel(id: id, kind: Self.kind, parameters: parameters, createdAt: createdAt)
    }

    /// Every registered encoder, newest first.
    public func encoders() throws -> [RegisteredEncoder] {
        try store.models(kind: Self.kind, parameters: EncoderParameters.self).map { model in
            let parameters = try? model.parameters.get()
            return RegisteredEncoder(
                id: model.id, createdAt: model.createdAt, parameters: parameters,
                weights: parameters?.weights.map(layout.resolve))
        }
    }

    /// The weights file of encoder `id` if it is on disk; nil for encoders without weights (synthetic
    /// ones), whose file is gone, or unknown ids.
    public func weights(ofEncoder id: String) throws -> String? {
        try encoders().first { $0.id == id }.flatMap(Self.onDisk)
    }

    /// The project's encoders newer than the newest one with its weights on disk, whose recorded weights
    /// file is gone (id, path): embedding now falls back past them, which a person should be told.
    public func missingWeights() throws -> [(id: String, path: String)] {
        var missing: [(id: String, path: String)] = []
        for encoder in try encoders() {
            if Self.onDisk(encoder) != nil { break }
            if let path = encoder.weights { missing.append((encoder.id, path)) }
        }
        return missing
    }

    /// The weights of the project's newest encoder that has its weights file on disk.
    public func newestWeights() throws -> String? {
        try encoders().lazy.compactMap(Self.onDisk).first
    }

    /// The weights embedding uses now when none are given: the newest encoder's that are on disk, else
    /// the shipped default encoder (`DefaultEncoder.path`); nil when there is neither.
    public func embeddingWeights() throws -> String? {
        try newestWeights() ?? DefaultEncoder.path
    }

    private static func onDisk(_ encoder: RegisteredEncoder) -> String? {
        encoder.weights.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    }
}

extension ProjectHandle {
    /// The project's encoders and which weights embedding uses.
    public var encoders: EncoderCatalogue { EncoderCatalogue(store: store) }
}
