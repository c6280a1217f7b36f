import Foundation

/// How sure a label is: the three statuses EcoTaxa also uses.
public enum LabelStatus: String, Sendable, Codable, CaseIterable, Hashable {
    /// An expert checked it.
    case validated
    /// A model (or an earlier tool) proposed it; nobody has checked it.
    case predicted
    /// An expert looked and was not sure.
    case dubious

    /// Parses the spellings found in label files (`V`, `validated`, `P`, `predicted`, `D`, `dubious`).
    public init?(lenient text: String) {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "v", "validated", "valid": self = .validated
        case "p", "predicted", "prediction": self = .predicted
        case "d", "dubious": self = .dubious
        default: return nil
        }
    }
}
