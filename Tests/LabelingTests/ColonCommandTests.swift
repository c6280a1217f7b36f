import Testing

@testable import Labeling

/// The `:` command line: what each line parses to, and the message a bad one shows.
@Suite struct ColonCommandTests {
    static let vocabulary = ColonCommand.Vocabulary(
        heads: ["knn", "linear", "mlp"],
        queues: ["random", "least-confidence", "margin"],
        exportFormats: ["csv", "ecotaxa"])

    static func parse(_ text: String) -> Result<ColonCommand, ColonCommand.ParseError> {
        ColonCommand.parse(text, vocabulary: vocabulary)
    }

    @Test("train takes an optional head; a head it does not know lists the heads")
    func train() {
        #expect(Self.parse("train") == .success(.train(head: nil)))
        #expect(Self.parse("train mlp") == .success(.train(head: "mlp")))
        #expect(Self.parse("  train   knn  extra") == .success(.train(head: "knn")))
        #expect(Self.parse("train forest") == .failure(.init("heads: knn, linear, mlp")))
    }

    @Test("pretrain and finetune take a positive epoch count, 15 and 1 by default")
    func epochs() {
        #expect(Self.parse("pretrain") == .success(.pretrain(epochs: 15)))
        #expect(Self.parse("pretrain 3") == .success(.pretrain(epochs: 3)))
        #expect(Self.parse("pretrain 0") == .failure(.init("pretrain [EPOCHS]")))
        #expect(Self.parse("pretrain many") == .failure(.init("pretrain [EPOCHS]")))
        #expect(Self.parse("finetune") == .success(.finetune(epochs: 1)))
        #expect(Self.parse("finetune 4") == .success(.finetune(epochs: 4)))
        #expect(Self.parse("finetune -2") == .failure(.init("finetune [EPOCHS]")))
    }

    @Test("embed and abundance (by folder unless told)")
    func jobs() {
        #expect(Self.parse("embed") == .success(.embed))
        #expect(Self.parse("abundance") == .success(.abundance(by: "folder")))
        #expect(Self.parse("abundance station") == .success(.abundance(by: "station")))
    }

    @Test("queue needs a known strategy; otherwise the strategies are listed")
    func queue() {
        #expect(Self.parse("queue margin") == .success(.queue(strategy: "margin")))
        #expect(Self.parse("queue") == .failure(.init("queues: random, least-confidence, margin")))
        #expect(Self.parse("queue best") == .failure(.init("queues: random, least-confidence, margin")))
    }

    @Test("export needs exactly a known format and a path")
    func export() {
        #expect(Self.parse("export csv /tmp/out.csv") == .success(.export(format: "csv", path: "/tmp/out.csv")))
        let usage = ColonCommand.ParseError("export FORMAT PATH, FORMAT one of csv, ecotaxa")
        #expect(Self.parse("export csv") == .failure(usage))
        #expect(Self.parse("export tiff /tmp/x") == .failure(usage))
        #expect(Self.parse("export csv /tmp/a b") == .failure(usage))
    }

    @Test("grid takes the rest of the line as a class name, which may hold spaces")
    func grid() {
        #expect(Self.parse("grid") == .success(.grid(className: nil)))
        #expect(Self.parse("grid copepod") == .success(.grid(className: "copepod")))
        #expect(Self.parse("grid big  copepod") == .success(.grid(className: "big copepod")))
    }

    @Test("screens and quit; an empty or unknown line lists the commands")
    func screensAndUsage() {
        #expect(Self.parse("label") == .success(.label))
        #expect(Self.parse("classes") == .success(.classes))
        #expect(Self.parse("jobs") == .success(.jobs))
        #expect(Self.parse("q") == .success(.quit))
        #expect(Self.parse("quit") == .success(.quit))
        let usage = ColonCommand.ParseError(
            "commands: train [HEAD] · finetune [EPOCHS] · embed · pretrain [EPOCHS] · abundance [BY] · queue STRATEGY · export FORMAT PATH · grid [CLASS] · label · classes · jobs · quit"
        )
        #expect(Self.parse("") == .failure(usage))
        #expect(Self.parse("   ") == .failure(usage))
        #expect(Self.parse("trian") == .failure(usage))
        #expect(Self.parse("Train") == .failure(usage))
    }
}
