/// Input that breaks a rule, with a message written for whoever sent it ("limit must be a whole
/// number from 1 to 100"). Domain code throws it; the server answers `400 VALIDATION_ERROR`.
public struct InvalidInput: Error, Sendable, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    /// A paging cursor that no earlier page produced.
    public static let badCursor = InvalidInput("cursor is not a cursor from a previous page")
}
