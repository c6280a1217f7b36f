import ArgumentParser
import Foundation
import Learning
import Project

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "List the images the expert should look at next, and why.",
        discussion: """
            Scores every image without an expert label on the current model's calibrated probabilities \
            (under the balanced prior, so rare classes are asked about too): least-confidence, margin, entropy, \
            diverse (the most uncertain image of each k-center cluster among the uncertain), disagree (its \
            labelled neighbours vote for another class) or random. About 10 % of the batch are random picks \
            (--random-fraction) so that calibration and abundance estimates stay unbiased. --json prints \
            {"strategy", "items": [{image_id, path, predicted, probability, reason, score}]}: predicted is the \
            model's call (made with every class equally likely, as the reason's percentages are), probability \
            its probability in this sample.
            """)

    @Argument(help: "The project folder.") var project: String
    @Option(help: "least-confidence, margin, entropy, diverse, disagree or random.") var strategy = "margin"
    @Option(help: "How many images.") var count = 20
    @Option(help: "Share of random picks.") var randomFraction = 0.1
    @Option(help: "Seed for the random picks.") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        guard let chosen = QueryStrategy(rawValue: strategy) else {
            throw ValidationError(
                "--strategy must be one of \(QueryStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let handle = try ProjectHandle.open(at: project)
        let items = try ReviewQueue.build(
            project: handle, strategy: chosen, count: count, seed: seed,
            randomFraction: randomFraction)
        if json {
            struct Output: Encodable { var strategy: String; var items: [ReviewItem] }
            print(try JSONOutput.string(Output(strategy: strategy, items: items)))
            return
        }
        for item in items {
            print(Console.oneLine(item.path) + "  —  " + Console.oneLine(item.reason))
        }
    }
}
