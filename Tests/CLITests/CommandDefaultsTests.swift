import Foundation
import Learning
import Project
import Testing

/// `plankterm COMMAND --help` with every run of white space made one space (the help wraps its lines).
private func help(_ command: String) throws -> String {
    let r = try plankterm([command, "--help"])
    #expect(r.status == 0, "\(command): \(r.stderr)")
    return r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
}

/// The default the OPTIONS part of `help` gives for `option`.
private func shownDefault(of option: String, in help: String) -> String? {
    guard let options = help.range(of: "OPTIONS:"),
        let line = help.range(of: option, range: options.upperBound..<help.endIndex),
        let shown = help.range(of: "(default: ", range: line.upperBound..<help.endIndex)
    else { return nil }
    return String(help[shown.upperBound...].prefix { $0 != ")" })
}

@Suite("The command line's defaults are the jobs' defaults")
struct CommandDefaultsTests {
    @Test("pretrain, train, embed and abundance show the defaults a job without settings runs with")
    func helpShowsTheJobDefaults() throws {
        guard case .pretrain(let pretrain) = try Job(kind: "pretrain", parameters: "{}"),
            case .finetune(let finetune) = try Job(kind: "finetune", parameters: "{}"),
            case .train(let train) = try Job(kind: "train", parameters: "{}"),
            case .abundance(let abundance) = try Job(kind: "abundance", parameters: "{}")
        else {
            Issue.record("not the jobs asked for")
            return
        }
        let pretrainHelp = try help("pretrain")
        for (option, words) in [
            ("--epochs <epochs>", "Passes over all images. (default: \(pretrain.epochs))"),
            ("--batch <batch>", "Images per step (each gives two views). (default: \(pretrain.batch))")
        ] {
            #expect(pretrainHelp.contains("\(option) \(words)"), "\(pretrainHelp)")
        }
        // A job from random weights starts at the side and learning rate the help gives for "scratch".
        #expect(pretrainHelp.contains("\(pretrain.side) from scratch"))
        #expect(pretrain.initialWeights == nil && pretrain.peakLearningRate == Float("1e-3"))
        #expect(PretrainJobParameters(initialWeights: "x").peakLearningRate == Float("1e-4"))
        #expect(pretrainHelp.contains("default 1e-4 from trained weights, 1e-3 from scratch"))

        let trainHelp = try help("train")
        let settings = train.settings(threads: 1)
        for (option, value) in [
            ("--head <head>", settings.head.kind.rawValue),
            ("--calibration <calibration>", settings.calibration.rawValue),
            ("--folds <folds>", "\(settings.folds)"), ("--seed <seed>", "\(settings.head.seed)"),
            ("--epochs <epochs>", "\(finetune.epochs)")
        ] {
            #expect(shownDefault(of: option, in: trainHelp) == value, "\(option): \(trainHelp)")
        }

        #expect(
            try help("embed").contains("--batch <batch> Images per forward pass. (default: \(Embedder.defaultBatch))"))
        let abundanceHelp = try help("abundance")
        #expect(abundanceHelp.contains("imported metadata column. (default: \(abundance.by))"), "\(abundanceHelp)")
        #expect(abundanceHelp.contains("(default: \(AbundanceWorkflow.defaultBootstrap))"))
    }
}
