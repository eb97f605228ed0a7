import Foundation
import Hummingbird
import StoaCore
import Tasks

/// `/api/tasks`: the user's tasks.
struct TaskRoutes: Sendable {
    let store: any TaskStore
    let clock: any StoaClock
    static let notFound = StoaError.notFound("Task")

    func register(on api: RouterGroup<UserRequestContext>) {
        api.get("tasks") { request, context in try await list(request, context) }
        api.post("tasks") { request, context in try await create(request, context) }
        api.get("tasks/{id}") { request, context in try await get(request, context) }
        api.patch("tasks/{id}") { request, context in try await update(request, context) }
        api.delete("tasks/{id}") { request, context in try await delete(request, context) }
    }

    func list(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let page = try request.page()
        var status = TaskStatusFilter.all
        if let raw = request.query("status") {
            guard let parsed = TaskStatusFilter(rawValue: raw) else { throw StoaError.validation("status must be open, done or all") }
            status = parsed
        }
        let q = request.query("q")
        if let q, q.count > 500 { throw StoaError.validation("q must be at most 500 characters") }
        return try .encoded(PageResponse(try await store.list(userID: context.user.id, status: status, query: q, page: page), TaskResponse.init))
    }

    func create(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let body = try await request.decode(as: NewTaskBody.self, context: context)
        let task = try await store.create(userID: context.user.id, title: body.title, description: body.cleanDescription, dueAt: body.due, at: clock.now())
        return try .encoded(TaskResponse(task), status: .created)
    }

    func get(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: Self.notFound)
        guard let task = try await store.get(userID: context.user.id, id: id) else { throw Self.notFound }
        return try .encoded(TaskResponse(task))
    }

    func update(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: Self.notFound)
        let body = try await request.decode(as: TaskPatchBody.self, context: context)
        guard let task = try await store.update(userID: context.user.id, id: id, title: body.newTitle, description: body.newDescription,
                                                completed: body.newCompleted, dueAt: body.newDue, at: clock.now()) else { throw Self.notFound }
        return try .encoded(TaskResponse(task))
    }

    func delete(_ request: Request, _ context: UserRequestContext) async throws -> Response {
        let id = try request.uuidParameter(context, notFound: Self.notFound)
        guard try await store.delete(userID: context.user.id, id: id) else { throw Self.notFound }
        return Response(status: .noContent)
    }
}
