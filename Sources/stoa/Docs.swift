import ArgumentParser
import Foundation
import Knowledge
import Logging
import StoaServer
import StoaCore
import Storage

/// `stoa docs ingest|list|remove|search`: the shared document collection the assistant cites.
struct Docs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest and look after the documents the assistant searches and cites.",
        subcommands: [Ingest.self, List.self, Remove.self, Search.self])

    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest Markdown, MDX, text and HTML files (folders are read recursively).",
            discussion: """
                A document's key is its path relative to the folder given (or its file name). Unchanged files are \
                skipped; changed ones have their chunks replaced. With --base-url, citations link to \
                BASE/<path without extension> (index and README pages to their folder), plus the heading's anchor.
                """)
        @Argument(help: "Files or folders.") var paths: [String]
        @Option(help: "Public URL the documents are published under, e.g. https://book.example/docs.") var baseURL: String?
        @Flag(help: "No progress bar.") var quiet = false

        func validate() throws {
            if let baseURL, URL(string: baseURL)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                throw ValidationError("--base-url must be an http(s) URL")
            }
        }

        func run() async throws {
            let files: [DocumentIngester.SourceFile]
            do { files = try DocumentIngester.files(in: paths) } catch let error as IngestError { CLI.fail(error.message) }
            if files.isEmpty { CLI.fail("no Markdown, MDX, text or HTML files under \(paths.joined(separator: ", "))") }
            try await Admin.withDatabase { db, config in
                let embedder = AppServices.makeEmbedder(config.assistant)
                let ingester = DocumentIngester(store: SQLDocumentStore(database: db), baseURL: baseURL, embedder: embedder)
                let bar = ProgressBar(total: files.count, enabled: !quiet)
                let started = Date()
                let summary = try await ingester.ingest(files) { done, total, file, outcome in
                    if case .failed(let reason) = outcome { bar.note("skipped \(file.key): \(reason)") }
                    bar.update(done, label: file.key)
                }
                bar.finish()
                let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
                print("Ingested \(summary.files) file(s) in \(seconds) s: \(summary.added) added, \(summary.updated) updated, "
                    + "\(summary.unchanged) unchanged, \(summary.failures.count) failed; \(summary.chunks) chunk(s) written"
                    + (embedder.map { " with \($0.name) vectors" } ?? "") + ".")
                if summary.withoutVectors > 0 {
                    bar.note("\(summary.withoutVectors) file(s) stored without vectors (keyword search only until the next ingest): \(ingester.lastFailure ?? "embeddings failed")")
                }
                if !summary.failures.isEmpty { throw ExitCode(2) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List ingested documents by path.")
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await Admin.withDatabase { db in
                let documents = try await SQLDocumentStore(database: db).all()
                if output.json { print(JSONValue.array(documents.map(\.json)).serialized); return }
                Admin.row(["id", "path", "title", "chunks", "updated"])
                for d in documents { Admin.row([d.id, d.path, d.title, String(d.chunkCount), ISO8601.string(from: d.updatedAt)]) }
                FileHandle.standardError.write(Data("\(documents.count) document(s)\n".utf8))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove documents by id or path (a path ending in / removes a folder).")
        @Argument(help: "Document ids or paths.") var keys: [String]

        func run() async throws {
            try await Admin.withDatabase { db in
                let store = SQLDocumentStore(database: db)
                let removed = try await store.remove(keys)
                if !removed.isEmpty { try await store.refreshStatistics() }
                for d in removed { print("removed \(d.path) (\(d.chunkCount) chunks)") }
                if removed.isEmpty { CLI.fail("no document matches \(keys.joined(separator: ", "))") }
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search the documents as the assistant does.")
        @Argument(help: "What to look for.") var query: String
        @Option(help: "How many passages (1–50).") var limit = 5
        @OptionGroup var output: OutputOptions

        func run() async throws {
            guard (1...50).contains(limit) else { CLI.fail("--limit must be from 1 to 50") }
            try await Admin.withDatabase { db, config in
                let search = AppServices.makeDocumentSearch(SQLDocumentStore(database: db), config.assistant, logger: Logger(label: "stoa"))
                let hits = try await search.search(query, limit: limit)
                if output.json {
                    print(JSONValue.array(hits.map { .object([("title", .string($0.title)), ("section", .string($0.headingPath.joined(separator: " › "))),
                                                               ("source", .optional($0.source)), ("snippet", .string($0.snippet)), ("score", .number($0.score))]) }).serialized)
                    return
                }
                for (i, hit) in hits.enumerated() {
                    print("\(i + 1). \(hit.title) › \(hit.headingPath.joined(separator: " › "))  (\(String(format: "%.3f", hit.score)))")
                    if let source = hit.source { print("   \(source)") }
                    print("   \(hit.snippet)")
                }
                if hits.isEmpty { FileHandle.standardError.write(Data("no passage matches\n".utf8)) }
            }
        }
    }
}

/// A progress bar on standard error: redrawn in place on a terminal, a line every 10 % otherwise
/// (logs and CI stay readable).
final class ProgressBar: @unchecked Sendable {
    let total: Int
    let enabled: Bool
    let terminal = isatty(STDERR_FILENO) == 1
    var lastDecile = -1
    var lastDraw = Date.distantPast

    init(total: Int, enabled: Bool) { self.total = total; self.enabled = enabled }

    func update(_ done: Int, label: String) {
        guard enabled, total > 0 else { return }
        let fraction = Double(done) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
        let percent = String(format: "%3d%%", Int(fraction * 100))
        if terminal {
            guard done == total || Date().timeIntervalSince(lastDraw) > 0.05 else { return }
            lastDraw = Date()
            let shown = label.count > 40 ? "…" + label.suffix(39) : label
            write("\r\u{1B}[2K\(bar) \(percent) \(done)/\(total) files  \(shown)")
        } else {
            let decile = Int(fraction * 10)
            guard decile != lastDecile else { return }
            lastDecile = decile
            write("\(bar) \(percent) \(done)/\(total) files\n")
        }
    }

    func note(_ message: String) {
        guard enabled else { FileHandle.standardError.write(Data((message + "\n").utf8)); return }
        write((terminal ? "\r\u{1B}[2K" : "") + message + "\n")
    }

    func finish() { if enabled && terminal { write("\n") } }

    func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
