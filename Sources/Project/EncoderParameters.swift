import Foundation
import Store

/// What a registered encoder records in `model.parameters` (kind `encoder`), as JSON with sorted keys.
/// Who registers it decides which fields it fills: `pretrain` (weights, epochs, seed, batch, images,
/// finalLoss, start), `finetune` (weights, finetunedFrom, epochs, labels, classes), `embed` (weights,
/// trainer, dimension, side, orientations) and synthetic embeddings (dimension, synthetic, noise, seed);
/// every field is optional so that each of those rows, as any plankterm wrote it, reads back.
public struct EncoderParameters: Codable, Sendable, Equatable {
    /// The weights file as `EncoderCatalogue` records it: relative to the project folder when inside it,
    /// else absolute (`ProjectLayout.stored`); older rows hold either form and read the same way.
    public var weights: String?
    /// Who made the weights, from their file's metadata ("plankterm pretrain", …).
    public var trainer: String?
    public var dimension: Int?
    public var side: Int?
    public var orientations: Int?
    public var epochs: Int?
    public var seed: UInt64?
    public var batch: Int?
    /// Images the encoder was pretrained on.
    public var images: Int?
    public var finalLoss: Double?
    /// The weights pretraining started from ("random" or a file).
    public var start: String?
    /// The weights a fine-tune started from.
    public var finetunedFrom: String?
    /// Validated labels and classes a fine-tune used.
    public var labels: Int?
    public var classes: Int?
    /// Rows made up for benchmarks (`SyntheticEmbeddings`), not computed by a network.
    public var synthetic: Bool?
    public var noise: Float?

    public init(
        weights: String? = nil, trainer: String? = nil, dimension: Int? = nil, side: Int? = nil,
        orientations: Int? = nil, epochs: Int? = nil, seed: UInt64? = nil, batch: Int? = nil, images: Int? = nil,
        finalLoss: Double? = nil, start: String? = nil, finetunedFrom: String? = nil, labels: Int? = nil,
        classes: Int? = nil, synthetic: Bool? = nil, noise: Float? = nil
    ) {
        self.weights = weights
        self.trainer = trainer
        self.dimension = dimension
        self.side = side
        self.orientations = orientations
        self.epochs = epochs
        self.seed = seed
        self.batch = batch
        self.images = images
        self.finalLoss = finalLoss
        self.start = start
        self.finetunedFrom = finetunedFrom
        self.labels = labels
        self.classes = classes
        self.synthetic = synthetic
        self.noise = noise
    }

    /// Reads a stored row's parameters.
    public init(json: String) throws { self = try StoredJSON.value(Self.self, from: json) }

    /// The JSON stored for it: sorted keys, one line, fields it lacks left out.
    public var json: String {
        // Strings and numbers (a loss that is not finite as a string): encoding cannot fail.
        (try? StoredJSON.json(self)) ?? "{}"
    }
}
