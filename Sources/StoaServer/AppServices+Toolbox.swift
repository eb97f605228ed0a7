import Assistant
import Knowledge
import StoaCore

extension AppServices {
    /// The tools one verified user may run: what the assistant and the MCP server both use.
    /// `userID` must come from a verified credential, never from a request body.
    public func toolbox(userID: String) -> UserToolbox {
        UserToolbox(scope: ToolScope(userID: userID, tasks: tasks, clock: clock, documents: documentSearch))
    }
}
