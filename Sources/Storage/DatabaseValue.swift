import Foundation
import StoaCore

/// The two SQL dialects Stoa speaks.
public enum SQLDialect: String, Sendable {
    case sqlite, postgres
}

/// A value bound into or read out of a query, independent of the dialect.
/// Dates are `timestamptz` in PostgreSQL and ISO-8601 text in SQLite (as Better Auth stores them);
/// booleans are `boolean` in PostgreSQL and 0/1 in SQLite.
public enum DatabaseValue: Sendable, Equatable {
    case null
    case text(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case date(Date)

    public static func optional(_ text: String?) -> DatabaseValue { text.map { .text($0) } ?? .null }
    public static func optional(_ date: Date?) -> DatabaseValue { date.map { .date($0) } ?? .null }
}

/// Something that can be bound as a query parameter.
public protocol DatabaseValueConvertible {
    var databaseValue: DatabaseValue { get }
}
extension String: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .text(self) } }
extension Int: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .int(Int64(self)) } }
extension Int64: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .int(self) } }
extension Bool: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .bool(self) } }
extension Date: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .date(self) } }
extension Double: DatabaseValueConvertible { public var databaseValue: DatabaseValue { .double(self) } }
extension DatabaseValue: DatabaseValueConvertible { public var databaseValue: DatabaseValue { self } }
extension Optional: DatabaseValueConvertible where Wrapped: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { self?.databaseValue ?? .null }
}

/// The columns of a result: their names and where each stands, made once and shared by all
/// the result's rows (a row is then an array of cells, not a dictionary of its own).
public final class DatabaseColumns: Sendable {
    public let names: [String]
    let positions: [String: Int]

    /// A name given twice stands for its last column.
    public init(_ names: [String]) {
        self.names = names
        var positions: [String: Int] = Dictionary(minimumCapacity: names.count)
        for (position, name) in names.enumerated() { positions[name] = position }
        self.positions = positions
    }
}

/// A row read from either database, with typed accessors that smooth over the dialects.
public struct DatabaseRow: Sendable {
    public let columns: DatabaseColumns
    /// One value per column, in the columns' order.
    public let cells: [DatabaseValue]

    public init(columns: DatabaseColumns, cells: [DatabaseValue]) {
        precondition(columns.names.count == cells.count, "a row needs one cell per column")
        self.columns = columns
        self.cells = cells
    }

    /// The value of `column`; `.null` for a column the row does not have.
    public subscript(_ column: String) -> DatabaseValue {
        guard let position = columns.positions[column] else { return .null }
        return cells[position]
    }

    public func string(_ column: String) throws -> String {
        guard let v = optionalString(column) else { throw DatabaseError.decoding(column: column) }
        return v
    }
    public func optionalString(_ column: String) -> String? {
        switch self[column] {
        case .text(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .date(let d): return ISO8601.string(from: d)
        case .null: return nil
        }
    }
    public func int(_ column: String) throws -> Int64 {
        switch self[column] {
        case .int(let i): return i
        case .double(let d): return Int64(d)
        case .bool(let b): return b ? 1 : 0
        case .text(let s): if let i = Int64(s) { return i }
        default: break
        }
        throw DatabaseError.decoding(column: column)
    }
    public func double(_ column: String) throws -> Double {
        switch self[column] {
        case .double(let d): return d
        case .int(let i): return Double(i)
        case .text(let s): if let d = Double(s) { return d }
        default: break
        }
        throw DatabaseError.decoding(column: column)
    }
    public func bool(_ column: String) throws -> Bool {
        switch self[column] {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .text(let s): return s == "1" || s.lowercased() == "true" || s == "t"
        default: throw DatabaseError.decoding(column: column)
        }
    }
    public func date(_ column: String) throws -> Date {
        guard let d = optionalDate(column) else { throw DatabaseError.decoding(column: column) }
        return d
    }
    public func optionalDate(_ column: String) -> Date? {
        switch self[column] {
        case .date(let d): return d
        case .text(let s): return ISO8601.date(from: s)
        // Numbers are milliseconds since the epoch (how some SQLite adapters store dates).
        case .int(let ms): return Date(timeIntervalSince1970: Double(ms) / 1000)
        case .double(let ms): return Date(timeIntervalSince1970: ms / 1000)
        default: return nil
        }
    }
}

/// Storage failures. Their descriptions never contain SQL parameters.
public enum DatabaseError: Error, CustomStringConvertible, Sendable {
    case decoding(column: String)
    case uniqueViolation
    case unavailable(String)
    case query(String)

    public var description: String {
        switch self {
        case .decoding(let column): return "unexpected value in column \(column)"
        case .uniqueViolation: return "unique constraint violated"
        case .unavailable(let why): return "database unavailable: \(why)"
        case .query(let why): return "query failed: \(why)"
        }
    }
}
