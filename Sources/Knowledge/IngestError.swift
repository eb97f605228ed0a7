/// Why `stoa docs ingest` cannot read a path it was given.
public enum IngestError: Error, Sendable, Equatable {
    case noSuchPath(String)
    case unsupportedFile(String)

    /// One line for the person running the command.
    public var message: String {
        switch self {
        case .noSuchPath(let path): return "\(path): no such file or folder"
        case .unsupportedFile(let path): return "\(path): not a Markdown, MDX, text or HTML file"
        }
    }
}
