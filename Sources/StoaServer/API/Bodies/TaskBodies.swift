import Foundation
import StoaCore

/// `POST /api/tasks`: `{title, description?, dueAt?}`.
struct NewTaskBody: APIRequestBody {
    var title: String
    var description: Patch<String>
    var dueAt: Patch<String>
    /// Set by ``validate()``.
    private(set) var cleanDescription: String? = nil
    private(set) var due: Date? = nil

    enum CodingKeys: String, CodingKey, CaseIterable { case title, description, dueAt }

    mutating func validate() throws(StoaError) {
        title = try FieldRules.text(title, "title", maxLength: 500)
        cleanDescription = try FieldRules.clearableText(description, "description", maxLength: 10_000) ?? nil
        due = try FieldRules.date(dueAt, "dueAt") ?? nil
    }
}

/// `PATCH /api/tasks/{id}`: any of `title`, `description` (null clears), `completed`, `dueAt`
/// (null clears).
struct TaskPatchBody: APIRequestBody {
    var title: Patch<String>
    var description: Patch<String>
    var completed: Patch<Bool>
    var dueAt: Patch<String>
    /// Set by ``validate()``: nil leaves a field as it is; `.some(nil)` clears it.
    private(set) var newTitle: String? = nil
    private(set) var newDescription: String?? = nil
    private(set) var newCompleted: Bool? = nil
    private(set) var newDue: Date?? = nil

    enum CodingKeys: String, CodingKey, CaseIterable { case title, description, completed, dueAt }

    mutating func validate() throws(StoaError) {
        newTitle = try FieldRules.text(title, "title", maxLength: 500)
        newDescription = try FieldRules.clearableText(description, "description", maxLength: 10_000)
        newCompleted = try FieldRules.flag(completed, "completed")
        newDue = try FieldRules.date(dueAt, "dueAt")
    }
}
