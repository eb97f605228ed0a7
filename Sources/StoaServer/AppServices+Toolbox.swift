import Assistant
import Knowledge
import StoaCore
import Tasks

/// Makes the toolbox of one verified user: what the assistant and the MCP server both run.
public struct Toolboxes: Sendable {
    let tasks: any TaskStore
    let documents: any DocumentSearching
    let clock: any StoaClock

    public init(tasks: any TaskStore, documents: any DocumentSearching, clock: any StoaClock) {
        self.tasks = tasks
        self.documents = documents
        self.clock = clock
    }

    /// `userID` must come from a verified credential, never from a request body. With a
    /// `page` (the documentation page the reader asks from), document searches rank that
    /// page's matching passages first (``PageBoostedSearch``).
    public func toolbox(userID: String, page: PageContext? = nil) -> UserToolbox {
        let search: any DocumentSearching = page.map { PageBoostedSearch(base: documents, page: $0) } ?? documents
        return UserToolbox(scope: ToolScope(userID: userID, tasks: tasks, clock: clock, documents: search))
    }
}

extension AppServices {
    /// The toolbox factory over this process's stores.
    public var toolboxes: Toolboxes { Toolboxes(tasks: tasks, documents: documentSearch, clock: clock) }

    /// The tools one verified user may run (see ``Toolboxes``).
    public func toolbox(userID: String) -> UserToolbox { toolboxes.toolbox(userID: userID) }
}
