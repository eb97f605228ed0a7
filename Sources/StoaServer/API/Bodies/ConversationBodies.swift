import StoaCore

/// `POST /api/conversations`: `{title?}` (an empty body is fine).
struct NewConversationBody: APIRequestBody {
    var title: Patch<String>
    private(set) var cleanTitle = ""

    enum CodingKeys: String, CodingKey, CaseIterable { case title }

    mutating func validate() throws(StoaError) {
        cleanTitle = try FieldRules.text(title, "title", allowEmpty: true, maxLength: 200) ?? ""
    }
}

/// `PATCH /api/conversations/{id}`: any of `title`, `pinned`, `archived`.
struct ConversationPatchBody: APIRequestBody {
    var title: Patch<String>
    var pinned: Patch<Bool>
    var archived: Patch<Bool>
    private(set) var newTitle: String? = nil
    private(set) var newPinned: Bool? = nil
    private(set) var newArchived: Bool? = nil

    enum CodingKeys: String, CodingKey, CaseIterable { case title, pinned, archived }

    mutating func validate() throws(StoaError) {
        newTitle = try FieldRules.text(title, "title", allowEmpty: true, maxLength: 200)
        newPinned = try FieldRules.flag(pinned, "pinned")
        newArchived = try FieldRules.flag(archived, "archived")
    }
}

/// `POST /api/feedback`: `{message_id, rating: "up"|"down", comment?}`.
struct FeedbackBody: APIRequestBody {
    var messageID: String
    var rating: String
    var comment: Patch<String>
    private(set) var cleanComment: String? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case messageID = "message_id"
        case rating, comment
    }

    mutating func validate() throws(StoaError) {
        messageID = try FieldRules.text(messageID, "message_id", maxLength: 64)
        rating = try FieldRules.text(rating, "rating", maxLength: 10)
        cleanComment = try FieldRules.text(comment, "comment", allowEmpty: true, maxLength: 4000)
    }
}
