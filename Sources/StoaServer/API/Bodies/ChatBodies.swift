import StoaCore

/// `POST /api/conversations/{id}/messages`: `{content}`.
struct NewMessageBody: APIRequestBody {
    var content: String

    enum CodingKeys: String, CodingKey, CaseIterable { case content }

    mutating func validate() throws(StoaError) {
        content = try FieldRules.text(content, "content", maxLength: ChatRoutes.maxContent)
    }
}

/// `POST /api/chat`: `{query, session_id?}`.
struct ChatBody: APIRequestBody {
    var query: String
    var sessionID: Patch<String>
    private(set) var session: String? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case query
        case sessionID = "session_id"
    }

    mutating func validate() throws(StoaError) {
        query = try FieldRules.text(query, "query", maxLength: ChatRoutes.maxContent)
        session = try FieldRules.text(sessionID, "session_id", maxLength: 64)
    }
}

/// `POST /api/ask-selection`: `{selection, question, session_id?}`.
struct AskSelectionBody: APIRequestBody {
    var selection: String
    var question: String
    var sessionID: Patch<String>
    private(set) var session: String? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case selection, question
        case sessionID = "session_id"
    }

    mutating func validate() throws(StoaError) {
        selection = try FieldRules.text(selection, "selection", maxLength: ChatRoutes.maxContent / 2)
        question = try FieldRules.text(question, "question", maxLength: 4000)
        session = try FieldRules.text(sessionID, "session_id", maxLength: 64)
    }
}
