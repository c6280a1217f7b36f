import ArgumentParser
import Foundation
import Linalg
import Neighbors
import Project

struct NeighborsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbors",
        abstract: "Build the nearest-neighbour graph, or show an image's look-alikes.",
        discussion: """
            Without IMAGE: computes (or extends, for newly embedded images) the exact cosine k-nearest-neighbour \
            graph of every embedded image and stores it in PROJECT/neighbors/<encoder>.knn, which the labeling \
            screen reads. With IMAGE (a path relative to the images folder): prints its neighbours with their \
            similarity and current label.
            """)

    @Argument(help: "The project folder.") var project: String
    @Argument(help: "An image path (relative to the images folder).") var image: String?
    @Option(help: "Neighbours per image in the graph.") var k = 32
    @Option(help: "Threads for the search.") var threads = 2

    func run() throws {
        let handle = try ProjectHandle.open(at: project)
        Gemm.setThreads(threads)
        try EmbedCommand.ensure(project: handle, quiet: false, threads: threads)
        let embeddings = try ProjectEmbeddings.load(project: handle)
        let started = Date()
        let graph = try embeddings.updateGraph(project: handle.directory, k: k, threads: threads)
        guard let image else {
            print(
                "neighbour graph: \(graph.rows) images × \(graph.k) neighbours in "
                    + String(format: "%.2f s", Date().timeIntervalSince(started)) + ", "
                    + Console.oneLine(
                        ProjectEmbeddings.graphFile(project: handle.directory, encoderId: embeddings.encoderId)))
            return
        }
        guard let id = try handle.imageID(path: image), let row = embeddings.rowOf[id] else {
            throw CommandFailure(message: "\(image): no embedded image with this path in the project")
        }
        let labels = try handle.currentLabelTexts()
        for (neighbor, similarity) in graph.lists.neighbors(of: row) {
            guard let other = embeddings.rowImage[neighbor], let summary = embeddings.images[other] else { continue }
            print(
                String(format: "%.3f  ", similarity) + Console.oneLine(summary.path) + "  "
                    + Console.oneLine(labels[other] ?? "unlabelled"))
        }
    }
}
