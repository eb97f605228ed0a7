import Knowledge
import StoaCore

/// `page`: the documentation page a question is asked from, `{url, title?}` (the widget
/// sends it). `url` must be an absolute http(s) URL of at most 2,048 characters; `title` at
/// most 300.
struct PageBody: Decodable, Sendable {
    var url: String
    var title: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case url, title }

    /// Like the top-level body, a field this object does not list is refused (not ignored).
    struct UnknownField: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: UnknownField.self)
        if let unknown = all.allKeys.first(where: { CodingKeys(rawValue: $0.stringValue) == nil }) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [unknown], debugDescription: "unknown field"))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        title = try container.decodeIfPresent(String.self, forKey: .title)
    }

    /// The validated page context.
    static func validate(_ patch: Patch<PageBody>) throws(StoaError) -> PageContext? {
        switch patch {
        case .absent, .null: return nil
        case .value(let body):
            let url = body.url.trimmingCharacters(in: .whitespacesAndNewlines)
            guard url.count <= PageContext.maxURLLength else { throw .validation("page.url must be at most \(PageContext.maxURLLength) characters") }
            var title: String? = nil
            if let raw = body.title { title = try FieldRules.text(raw, "page.title", allowEmpty: true, maxLength: PageContext.maxTitleLength) }
            guard let page = PageContext(url: url, title: title) else { throw .validation("page.url must be an absolute http(s) URL") }
            return page
        }
    }
}

/// `POST /api/conversations/{id}/messages`: `{content, page?}`.
struct NewMessageBody: APIRequestBody {
    var content: String
    var page: Patch<PageBody>
    private(set) var pageContext: PageContext? = nil

    enum CodingKeys: String, CodingKey, CaseIterable { case content, page }

    mutating func validate() throws(StoaError) {
        content = try FieldRules.text(content, "content", maxLength: ChatRoutes.maxContent)
        pageContext = try PageBody.validate(page)
    }
}

/// `POST /api/chat`: `{query, session_id?, page?}`.
struct ChatBody: APIRequestBody {
    var query: String
    var sessionID: Patch<String>
    var page: Patch<PageBody>
    private(set) var session: String? = nil
    private(set) var pageContext: PageContext? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case query, page
        case sessionID = "session_id"
    }

    mutating func validate() throws(StoaError) {
        query = try FieldRules.text(query, "query", maxLength: ChatRoutes.maxContent)
        session = try FieldRules.text(sessionID, "session_id", maxLength: 64)
        pageContext = try PageBody.validate(page)
    }
}

/// `POST /api/ask-selection`: `{selection, question, session_id?, page?}`.
struct AskSelectionBody: APIRequestBody {
    var selection: String
    var question: String
    var sessionID: Patch<String>
    var page: Patch<PageBody>
    private(set) var session: String? = nil
    private(set) var pageContext: PageContext? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case selection, question, page
        case sessionID = "session_id"
    }

    mutating func validate() throws(StoaError) {
        selection = try FieldRules.text(selection, "selection", maxLength: ChatRoutes.maxContent / 2)
        question = try FieldRules.text(question, "question", maxLength: 4000)
        session = try FieldRules.text(sessionID, "session_id", maxLength: 64)
        pageContext = try PageBody.validate(page)
    }
}
