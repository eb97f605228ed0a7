import Foundation
import StoaCore
// SQLite's C API from the system library (Debian's libsqlite3-dev; see the CSQLite target).
// Stoa calls it directly: see ``SQLiteDatabase`` for why.
import CSQLite

/// One open `sqlite3` connection with a cache of prepared statements. Not thread-safe: its
/// owner (``SQLiteDatabase``) runs one statement at a time.
final class SQLiteConnectionHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    /// Prepared statements by SQL text, reused across calls (no parsing or planning per query).
    private var statements: [String: CachedStatement] = [:]
    /// Beyond this many distinct statements the cache starts over.
    static let statementCacheSize = 256

    struct CachedStatement {
        let handle: OpaquePointer
        let columns: DatabaseColumns
        /// A `SELECT` (or `WITH … SELECT`) that SQLite says writes nothing: safe on a reader connection.
        let isQuery: Bool
    }

    /// `sqlite3_step` answered `SQLITE_BUSY`/`SQLITE_LOCKED`: another process holds the lock.
    struct Busy: Error {}

    init(path: String) throws {
        var handle: OpaquePointer?
        // Multi-thread mode (no per-call mutex): the owner already runs one statement at a time
        // per connection, and Debian's library is built serialised, which costs a mutex per call.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "error \(status)"
            sqlite3_close_v2(handle)
            throw DatabaseError.unavailable("cannot open the SQLite database at \(path): \(message)")
        }
        db = handle
        sqlite3_extended_result_codes(handle, 1)
    }

    /// Waits up to `milliseconds` for another process's lock (0: fail at once with ``Busy``).
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(db, milliseconds)
    }

    /// Runs one statement (or, rarely, a script of several: the rows of the last one return).
    func run(_ sql: String, _ binds: [DatabaseValue]) throws -> [DatabaseRow] {
        guard let prepared = try statement(sql) else { return try runScript(sql, binds) }
        return try execute(prepared, binds)
    }

    /// Runs `sql` if it is a read-only query; `nil` (nothing run) for anything else. The caller
    /// has checked ``looksLikeQuery(_:)``, so only queries are prepared here.
    func runQuery(_ sql: String, _ binds: [DatabaseValue]) throws -> [DatabaseRow]? {
        guard let prepared = try statement(sql), prepared.isQuery else { return nil }
        return try execute(prepared, binds)
    }

    /// Whether the text starts with SELECT or WITH (before SQLite is asked).
    static func looksLikeQuery(_ sql: String) -> Bool {
        var word: [UInt8] = []
        for byte in sql.utf8 {
            if byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D { if word.isEmpty { continue } else { break } }
            word.append(byte | 0x20)
            if word.count > 6 { break }
        }
        return word == Array("select".utf8) || word == Array("with".utf8)
    }

    /// The cached prepared statement for `sql` (preparing it once); `nil` for a script of several.
    private func statement(_ sql: String) throws -> CachedStatement? {
        guard db != nil else { throw DatabaseError.unavailable("the database is closed") }
        if let cached = statements[sql] { return cached }
        var tail: UnsafePointer<CChar>? = nil
        let prepared = try sql.withCString { text -> CachedStatement? in
            var handle: OpaquePointer?
            let status = sqlite3_prepare_v3(db, text, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, &tail)
            guard status == SQLITE_OK else { throw error(status) }
            if let rest = tail, !String(cString: rest).allSatisfy(\.isWhitespace) {
                sqlite3_finalize(handle)
                return nil
            }
            guard let handle else { return nil }   // only whitespace or a comment
            return CachedStatement(handle: handle, columns: Self.columnNames(handle),
                                   isQuery: Self.looksLikeQuery(sql) && sqlite3_stmt_readonly(handle) != 0)
        }
        guard let prepared else { return nil }
        if statements.count >= Self.statementCacheSize { clearStatements() }
        statements[sql] = prepared
        return prepared
    }

    /// A text holding several statements (migrations): each is prepared and run in turn, uncached.
    private func runScript(_ sql: String, _ binds: [DatabaseValue]) throws -> [DatabaseRow] {
        try sql.withCString { start -> [DatabaseRow] in
            var next: UnsafePointer<CChar>? = start
            var rows: [DatabaseRow] = []
            while let current = next, current.pointee != 0 {
                var handle: OpaquePointer?
                var tail: UnsafePointer<CChar>? = nil
                let status = sqlite3_prepare_v2(db, current, -1, &handle, &tail)
                guard status == SQLITE_OK else { throw error(status) }
                next = tail
                guard let handle else { continue }
                defer { sqlite3_finalize(handle) }
                rows = try execute(CachedStatement(handle: handle, columns: Self.columnNames(handle), isQuery: false), binds)
            }
            return rows
        }
    }

    private func execute(_ statement: CachedStatement, _ binds: [DatabaseValue]) throws -> [DatabaseRow] {
        let handle = statement.handle
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        let parameterCount = Int(sqlite3_bind_parameter_count(handle))
        guard parameterCount == binds.count else {
            throw DatabaseError.query("the statement takes \(parameterCount) values, \(binds.count) given")
        }
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(handle, index)
            case .int(let i): status = sqlite3_bind_int64(handle, index, i)
            case .double(let d): status = sqlite3_bind_double(handle, index, d)
            case .bool(let b): status = sqlite3_bind_int64(handle, index, b ? 1 : 0)
            case .text(let s): status = Self.bindText(s, handle, index)
            case .date(let d): status = Self.bindText(ISO8601.string(from: d), handle, index)
            }
            guard status == SQLITE_OK else { throw error(status) }
        }
        var rows: [DatabaseRow] = []
        while true {
            let status = sqlite3_step(handle)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else { throw error(status) }
            var cells: [DatabaseValue] = []
            cells.reserveCapacity(statement.columns.names.count)
            for offset in statement.columns.names.indices {
                let column = Int32(offset)
                switch sqlite3_column_type(handle, column) {
                case SQLITE_INTEGER: cells.append(.int(sqlite3_column_int64(handle, column)))
                case SQLITE_FLOAT: cells.append(.double(sqlite3_column_double(handle, column)))
                case SQLITE_NULL: cells.append(.null)
                default:   // text, or a blob read as UTF-8 text
                    // The pointer first, then its length (SQLite's documented order).
                    let bytes = sqlite3_column_blob(handle, column)
                    let count = Int(sqlite3_column_bytes(handle, column))
                    if let bytes, count > 0 {
                        cells.append(.text(String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)))
                    } else {
                        cells.append(.text(""))
                    }
                }
            }
            rows.append(DatabaseRow(columns: statement.columns, cells: cells))
        }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bindText(_ text: String, _ handle: OpaquePointer, _ index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                return sqlite3_bind_text64(handle, index, "", 0, transient, UInt8(SQLITE_UTF8))   // "" is not NULL
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                sqlite3_bind_text64(handle, index, chars, UInt64(bytes.count), transient, UInt8(SQLITE_UTF8))
            }
        }
    }

    private static func columnNames(_ handle: OpaquePointer) -> DatabaseColumns {
        DatabaseColumns((0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) })
    }

    private func error(_ status: Int32) -> Error {
        let primary = status & 0xFF
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED { return Busy() }
        let message = sqlite3_errmsg(db).map { String(cString: $0) } ?? "SQLite error \(status)"
        if message.contains("UNIQUE constraint failed") { return DatabaseError.uniqueViolation }
        return DatabaseError.query(message)
    }

    private func clearStatements() {
        for statement in statements.values { sqlite3_finalize(statement.handle) }
        statements.removeAll()
    }

    func close() {
        clearStatements()
        sqlite3_close_v2(db)
        db = nil
    }

    deinit {
        if db != nil { close() }
    }
}
