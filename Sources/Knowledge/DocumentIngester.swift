import Crypto
import Foundation
import Synchronization
import StoaCore

/// Reads files and folders into the document collection: Markdown, MDX, plain text and HTML,
/// found recursively (hidden files and folders skipped). A file whose content is unchanged
/// since the last ingest is skipped; a changed one has its chunks replaced.
public struct DocumentIngester: Sendable {
    /// One file found under the given paths.
    public struct SourceFile: Sendable, Equatable {
        /// Where it is on disk.
        public let url: URL
        /// Its key in the collection: the path relative to the folder given (or the file name).
        public let key: String
        public let format: DocumentFormat
    }

    /// What happened to one file.
    public enum Outcome: Sendable, Equatable {
        case added(chunks: Int), updated(chunks: Int), unchanged, failed(String)
    }

    /// Counts for the summary line.
    public struct Summary: Sendable, Equatable {
        public var files = 0, added = 0, updated = 0, unchanged = 0, chunks = 0
        /// Files stored without vectors because the embeddings provider failed (retried next time).
        public var withoutVectors = 0
        public var failures: [(key: String, reason: String)] = []
        public static func == (a: Summary, b: Summary) -> Bool {
            a.files == b.files && a.added == b.added && a.updated == b.updated && a.unchanged == b.unchanged && a.chunks == b.chunks
                && a.failures.map(\.key) == b.failures.map(\.key)
        }
    }

    /// Largest file read (bigger ones are reported as failures, not truncated silently).
    public static let maxFileBytes = 8 * 1024 * 1024
    /// Bump when parsing or chunking changes, so the next ingest re-chunks every file.
    static let formatVersion = "1"

    let store: any DocumentStore
    let chunker: Chunker
    let clock: any StoaClock
    /// Public URL the documents are published under (`--base-url`), e.g. `https://book.example/docs`.
    let baseURL: String?
    /// Makes chunk vectors when embeddings are configured (`STOA_EMBEDDINGS`).
    let embedder: (any Embedder)?

    public init(store: any DocumentStore, baseURL: String? = nil, embedder: (any Embedder)? = nil, chunker: Chunker = Chunker(),
                clock: any StoaClock = SystemClock()) {
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.clock = clock
        self.baseURL = baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// Every ingestible file under `paths`, sorted by key. Throws for a path that does not exist.
    public static func files(in paths: [String]) throws -> [SourceFile] {
        var out: [SourceFile] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw IngestError.noSuchPath(path)
            }
            let root = URL(fileURLWithPath: path).standardizedFileURL
            if !isDirectory.boolValue {
                guard let format = DocumentFormat(pathExtension: root.pathExtension) else {
                    throw IngestError.unsupportedFile(path)
                }
                out.append(SourceFile(url: root, key: root.lastPathComponent, format: format))
                continue
            }
            guard let walker = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else { continue }
            let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
            for case let url as URL in walker {
                guard let format = DocumentFormat(pathExtension: url.pathExtension),
                      (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                let full = url.standardizedFileURL.path
                guard full.hasPrefix(prefix) else { continue }
                out.append(SourceFile(url: url, key: String(full.dropFirst(prefix.count)), format: format))
            }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0.key).inserted }.sorted { $0.key < $1.key }
    }

    /// Ingests `files`, calling `progress(done, total, outcome)` after each. Statistics are
    /// refreshed once at the end when anything changed.
    public func ingest(_ files: [SourceFile], progress: (Int, Int, SourceFile, Outcome) -> Void = { _, _, _, _ in }) async throws -> Summary {
        var summary = Summary()
        let known = try await store.contentHashes()
        for (index, file) in files.enumerated() {
            let (outcome, missingVectors) = try await ingest(file, knownHash: known[file.key])
            if missingVectors { summary.withoutVectors += 1 }
            summary.files += 1
            switch outcome {
            case .added(let n), .updated(let n):
                if case .added = outcome { summary.added += 1 } else { summary.updated += 1 }
                summary.chunks += n
            case .unchanged: summary.unchanged += 1
            case .failed(let reason): summary.failures.append((file.key, reason))
            }
            progress(index + 1, files.count, file, outcome)
        }
        if summary.added + summary.updated > 0 { try await store.refreshStatistics() }
        return summary
    }

    func ingest(_ file: SourceFile, knownHash: String?) async throws -> (Outcome, missingVectors: Bool) {
        let data: Data
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: file.url.path)[.size] as? NSNumber)?.intValue ?? 0
            if size > Self.maxFileBytes { return (.failed("larger than \(Self.maxFileBytes / 1024 / 1024) MB"), false) }
            data = try Data(contentsOf: file.url)
        } catch {
            return (.failed("cannot be read"), false)
        }
        let hash = Self.hash(data, embedder: embedder?.name)
        if hash == knownHash { return (.unchanged, false) }
        let text = String(decoding: data, as: UTF8.self)
        let fallbackTitle = file.url.deletingPathExtension().lastPathComponent
        let parsed = ParsedDocument.parse(text, format: file.format, fallbackTitle: fallbackTitle)
        let chunks = chunker.chunks(parsed)
        var vectors: [[Float]]? = nil
        var storedHash = hash
        if let embedder, !chunks.isEmpty {
            do {
                vectors = try await embed(chunks, with: embedder)
            } catch {
                // Keep the text searchable now; a hash that never matches makes the next ingest retry the vectors.
                storedHash = hash + "-novectors"
                lastEmbeddingError.value.withLock { $0 = "\(error)" }
            }
        }
        let (_, replaced) = try await store.save(path: file.key, title: parsed.title, source: sourceURL(for: file.key), contentHash: storedHash,
                                                 chunks: chunks, vectors: vectors, embeddingModel: embedder?.name, at: clock.now())
        return (replaced ? .updated(chunks: chunks.count) : .added(chunks: chunks.count), storedHash != hash)
    }

    /// `guide/install.md` under `https://book.example/docs` → `https://book.example/docs/guide/install`
    /// (`index`/`README` pages map to their folder).
    public func sourceURL(for key: String) -> String? {
        guard let baseURL else { return nil }
        var parts = key.split(separator: "/").map(String.init)
        if var last = parts.popLast() {
            if let dot = last.lastIndex(of: ".") { last = String(last[..<dot]) }
            if !["index", "readme"].contains(last.lowercased()) { parts.append(last) }
        }
        let path = parts.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0 }.joined(separator: "/")
        return path.isEmpty ? baseURL : baseURL + "/" + path
    }

    /// Embeds chunk texts (heading path and text) in batches of 64.
    func embed(_ chunks: [ChunkDraft], with embedder: any Embedder) async throws -> [[Float]] {
        var out: [[Float]] = []
        for start in stride(from: 0, to: chunks.count, by: 64) {
            let batch = chunks[start..<min(start + 64, chunks.count)].map { ($0.headings + [$0.text]).joined(separator: "\n") }
            let vectors = try await embedder.embed(batch)
            guard vectors.count == batch.count else { throw EmbeddingCountMismatch() }
            out += vectors
        }
        return out
    }

    struct EmbeddingCountMismatch: Error, CustomStringConvertible {
        var description: String { "the embeddings provider returned a different number of vectors than texts" }
    }

    /// The last embeddings failure of this ingester (for the CLI to report once).
    public var lastFailure: String? { lastEmbeddingError.value.withLock { $0 } }
    let lastEmbeddingError = FailureNote()

    final class FailureNote: Sendable { let value = Mutex<String?>(nil) }

    static func hash(_ data: Data, embedder: String?) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(formatVersion.utf8))
        if let embedder { hasher.update(data: Data(("|" + embedder).utf8)) }
        hasher.update(data: data)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
