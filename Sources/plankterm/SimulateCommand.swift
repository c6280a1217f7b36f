import ArgumentParser
import Foundation
import Learning
import Linalg
import Project

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a labeling campaign with ground truth as the oracle.",
        discussion: """
            Starts from --start random labels from --truth, then repeatedly trains and calibrates the head, \
            scores the images not yet labelled (accuracy, balanced accuracy, ECE) and lets the strategy choose \
            the next --step images, until --budget labels. The project's own labels are not used or changed. \
            Writes the curve to --out (CSV; default PROJECT/simulations/<strategy>-seed<S>.csv) and prints it; \
            --json prints {"strategy", "seed", "curve": [{labels, accuracy, balanced_accuracy, ece, …}]}.
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: ArgumentHelp("Ground truth: a label file or a folder of class folders.", valueName: "FILE"))
    var truth: String
    @Option(help: "random, least-confidence, margin, entropy or diverse.") var strategy: String = "margin"
    @Option(help: "Random labels to start with.") var start = 121
    @Option(help: "Labels added per round.") var step = 121
    @Option(help: "Labels at the end.") var budget = 2420
    @Option(help: "Seed for the start set, folds and random picks.") var seed: UInt64 = 0
    @Option(help: "The classifier head: knn, linear or mlp.") var head: String = "linear"
    @Option(help: "Folds for the out-of-fold calibration set (3 here, 5 in 'train', to keep 20 rounds quick).")
    var folds = 3
    @Option(help: ArgumentHelp("Where to write the curve (CSV).", valueName: "FILE")) var out: String?
    @Option(help: "Threads for OpenBLAS and the k-NN search.") var threads = 2
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        guard let chosen = QueryStrategy(rawValue: strategy), chosen != .disagree else {
            throw ValidationError(
                "--strategy must be random, least-confidence, margin, entropy or diverse, not '\(strategy)'")
        }
        guard let kind = HeadKind(rawValue: head) else { throw ValidationError("--head must be knn, linear or mlp") }
        guard start >= 2, step >= 1, budget >= start else {
            throw ValidationError("need --start ≥ 2, --step ≥ 1 and --budget ≥ --start")
        }
        let handle = try ProjectHandle.open(at: project)
        Gemm.setThreads(threads)
        try EmbedCommand.ensure(project: handle, quiet: json, threads: threads)
        let root = try handle.imagesRoot()
        let (labels, _) = try TruthLabels.read(truth, project: handle, imagesRoot: root)
        let embeddings = try ProjectEmbeddings.load(project: handle)
        let names = Array(Set(labels.values)).sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var rows: [Int] = [], classes: [Int] = []
        for (image, name) in labels.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            if let row = embeddings.rowOf[image] { rows.append(row); classes.append(index[name]!) }
        }
        guard rows.count > start else {
            throw ValidationError("--truth matches \(rows.count) embedded images; --start must be smaller")
        }
        var simulation = CampaignSimulation(
            strategy: chosen, start: start, step: step, budget: budget, seed: seed,
            head: kind, folds: folds)
        simulation.head.threads = threads
        let tty = Console.stderrIsTTY && !json
        let curve = simulation.run(
            features: embeddings.features, rows: rows, truth: classes, classes: names.count,
            classNames: names
        ) { point in
            if tty {
                FileHandle.standardError.write(
                    Data(
                        String(
                            format: "\r\u{1B}[K%@: %d labels, balanced accuracy %.3f",
                            strategy, point.labels, point.balancedAccuracy
                        ).utf8))
            }
        }
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let path = out ?? handle.layout.simulation(strategy: "\(strategy)", seed: seed)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        var csv = "strategy,seed,labels,accuracy,balanced_accuracy,ece,classes_seen\n"
        for p in curve {
            csv += String(
                format: "%@,%llu,%d,%.6f,%.6f,%.6f,%d\n", strategy, seed, p.labels, p.accuracy,
                p.balancedAccuracy, p.ece, p.classesSeen)
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        if json {
            struct Output: Encodable {
                var strategy: String; var seed: UInt64; var head: String; var csv: String; var curve: [CurvePoint]
            }
            print(try JSONOutput.string(Output(strategy: strategy, seed: seed, head: head, csv: path, curve: curve)))
            return
        }
        print("labels  accuracy  balanced  ECE    (\(strategy), seed \(seed), \(rows.count) images with truth)")
        for p in curve {
            print(String(format: "%6d  %8.3f  %8.3f  %.3f", p.labels, p.accuracy, p.balancedAccuracy, p.ece))
        }
        print("curve written to \(Console.oneLine(path))")
    }
}
