import NIOCore
import NIOPosix

/// Starts the `stoa` command. First, Swift concurrency's global executor becomes NIO's event
/// loops (the ones the HTTP server and the PostgreSQL pool use), so an `await` on network I/O
/// resumes on a loop thread instead of hopping to a separate thread pool and back: fewer context
/// switches per request. Work that blocks for long (password hashing) has its own thread pool.
@main
enum Entrypoint {
    static func main() async {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await Stoa.main()
    }
}
