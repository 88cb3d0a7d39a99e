// The voice library: voices uploaded once (their voice prompt computed at upload) and used by name
// afterwards. SQLite under the data folder for one server; PostgreSQL when several server processes
// behind a load balancer share one library. Both keep the same table:
//   voices(name PRIMARY KEY, created_at, consent, ref_text, mode, model, voice)
// where `voice` is the voice file's JSON (sealed with its SHA-256, bound to the model geometry).

import Foundation
import Logging
import NIOCore
import PostgresNIO
import SQLiteNIO
import ServiceLifecycle

/// One stored voice.
public struct StoredVoice: Sendable, Equatable {
    public var name: String
    /// Unix seconds.
    public var createdAt: Int64
    /// What the uploader declared about consent (kept verbatim).
    public var consent: String
    /// The reference transcript (in-context cloning), or nil (x-vector only).
    public var refText: String?
    /// "icl" or "x_vector".
    public var mode: String
    /// The model geometry the voice was made for (`VoiceFile.compatibility`).
    public var model: String
    /// The voice file's bytes (JSON).
    public var voice: Data
}

public enum VoiceStoreError: Error, CustomStringConvertible, Sendable {
    case exists(String)
    case unavailable(String)
    case badURL(String)

    public var description: String {
        switch self {
        case .exists(let n): return "a voice named '\(n)' already exists; delete it first or choose another name"
        case .unavailable(let why): return "the voice database is unavailable: \(why)"
        case .badURL(let why): return "bad --database-url: \(why)"
        }
    }

    var apiError: APIError {
        switch self {
        case .exists: return APIError(.conflict, description, param: "name", code: "voice_exists")
        case .unavailable, .badURL: return APIError(.serviceUnavailable, description, type: "server_error", code: "database_unavailable")
        }
    }
}

public protocol VoiceStore: Sendable {
    func list() async throws -> [StoredVoice]
    func get(_ name: String) async throws -> StoredVoice?
    /// Throws `VoiceStoreError.exists` when the name is taken (never replaces a voice).
    func insert(_ voice: StoredVoice) async throws
    /// False when there was no such voice.
    func delete(_ name: String) async throws -> Bool
    func close() async
}

/// SQLite in one file (WAL, so readers never wait for a writer; several processes may share it).
public final class SQLiteVoiceStore: VoiceStore {
    let connection: SQLiteConnection
    public let path: String

    public static func open(path: String, logger: Logger) async throws -> SQLiteVoiceStore {
        let store: SQLiteVoiceStore
        do {
            store = SQLiteVoiceStore(try await SQLiteConnection.open(storage: .file(path: path), logger: logger), path: path)
        } catch {
            throw VoiceStoreError.unavailable("cannot open SQLite database \(path): \(error)")
        }
        try await store.run("PRAGMA journal_mode=WAL")
        try await store.run("PRAGMA busy_timeout=5000")
        try await store.run("""
            CREATE TABLE IF NOT EXISTS voices (
                name TEXT PRIMARY KEY, created_at INTEGER NOT NULL, consent TEXT NOT NULL, ref_text TEXT,
                mode TEXT NOT NULL, model TEXT NOT NULL, voice TEXT NOT NULL)
            """)
        return store
    }

    private init(_ connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    @discardableResult
    private func run(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do { return try await connection.query(sql, binds) } catch {
            throw VoiceStoreError.unavailable("\(error)")
        }
    }

    private static let columns = "name, created_at, consent, ref_text, mode, model, voice"

    private static func voice(_ row: SQLiteRow) -> StoredVoice? {
        guard let name = row.column("name")?.string, let created = row.column("created_at")?.integer,
              let consent = row.column("consent")?.string, let mode = row.column("mode")?.string,
              let model = row.column("model")?.string, let voice = row.column("voice")?.string
        else { return nil }
        return StoredVoice(name: name, createdAt: Int64(created), consent: consent, refText: row.column("ref_text")?.string,
                           mode: mode, model: model, voice: Data(voice.utf8))
    }

    public func list() async throws -> [StoredVoice] {
        try await run("SELECT \(Self.columns) FROM voices ORDER BY created_at, name").compactMap(Self.voice)
    }

    public func get(_ name: String) async throws -> StoredVoice? {
        try await run("SELECT \(Self.columns) FROM voices WHERE name = ?", [.text(name)]).first.flatMap(Self.voice)
    }

    public func insert(_ v: StoredVoice) async throws {
        let rows = try await run(
            "INSERT INTO voices (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING RETURNING name",
            [.text(v.name), .integer(Int(v.createdAt)), .text(v.consent), v.refText.map { .text($0) } ?? .null, .text(v.mode),
             .text(v.model), .text(String(decoding: v.voice, as: UTF8.self))])
        if rows.isEmpty { throw VoiceStoreError.exists(v.name) }
    }

    public func delete(_ name: String) async throws -> Bool {
        !(try await run("DELETE FROM voices WHERE name = ? RETURNING name", [.text(name)])).isEmpty
    }

    public func close() async { try? await connection.close() }
}

/// PostgreSQL through a connection pool; `client` must be running (it is a service of the app).
public final class PostgresVoiceStore: VoiceStore {
    public let client: PostgresClient

    /// A client for `postgres://user[:password]@host[:port]/database[?sslmode=disable]`.
    public static func makeClient(url: String, logger: Logger) throws -> PostgresClient {
        guard let c = URLComponents(string: url), c.scheme == "postgres" || c.scheme == "postgresql" else {
            throw VoiceStoreError.badURL("expected postgres://user:password@host:port/database, got '\(url)'")
        }
        guard let host = c.host, !host.isEmpty else { throw VoiceStoreError.badURL("no host in '\(url)'") }
        guard let user = c.user, !user.isEmpty else { throw VoiceStoreError.badURL("no user name in '\(url)'") }
        let database = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        let sslmode = c.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard sslmode == "disable" else {
            throw VoiceStoreError.badURL("sslmode=\(sslmode) is not supported yet; use sslmode=disable on a private network")
        }
        var config = PostgresClient.Configuration(host: host, port: c.port ?? 5432, username: user,
                                                  password: c.password.flatMap { $0.removingPercentEncoding },
                                                  database: database.isEmpty ? nil : database, tls: .disable)
        config.options.maximumConnections = 8
        config.options.connectTimeout = .seconds(5)
        return PostgresClient(configuration: config, backgroundLogger: logger)
    }

    public init(client: PostgresClient) { self.client = client }

    /// Creates the table when missing (safe when several servers start together).
    public func migrate() async throws {
        do {
            try await client.query("""
                CREATE TABLE IF NOT EXISTS voices (
                    name TEXT PRIMARY KEY, created_at BIGINT NOT NULL, consent TEXT NOT NULL, ref_text TEXT,
                    mode TEXT NOT NULL, model TEXT NOT NULL, voice TEXT NOT NULL)
                """)
        } catch let e as PSQLError where e.serverInfo?[.sqlState] == "23505" || e.serverInfo?[.sqlState] == "42P07" {
            // Another server created it at the same moment.
        } catch {
            throw VoiceStoreError.unavailable(String(reflecting: error))
        }
    }

    private func rows(_ query: PostgresQuery) async throws -> [StoredVoice] {
        do {
            var out: [StoredVoice] = []
            let rows = try await client.query(query)
            for try await (name, created, consent, refText, mode, model, voice)
                in rows.decode((String, Int64, String, String?, String, String, String).self) {
                out.append(StoredVoice(name: name, createdAt: created, consent: consent, refText: refText, mode: mode,
                                       model: model, voice: Data(voice.utf8)))
            }
            return out
        } catch {
            throw VoiceStoreError.unavailable(String(reflecting: error))
        }
    }

    public func list() async throws -> [StoredVoice] {
        try await rows("SELECT name, created_at, consent, ref_text, mode, model, voice FROM voices ORDER BY created_at, name")
    }

    public func get(_ name: String) async throws -> StoredVoice? {
        try await rows("SELECT name, created_at, consent, ref_text, mode, model, voice FROM voices WHERE name = \(name)").first
    }

    public func insert(_ v: StoredVoice) async throws {
        let voice = String(decoding: v.voice, as: UTF8.self)
        let inserted: Bool
        do {
            let rows = try await client.query("""
                INSERT INTO voices (name, created_at, consent, ref_text, mode, model, voice)
                VALUES (\(v.name), \(v.createdAt), \(v.consent), \(v.refText), \(v.mode), \(v.model), \(voice))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """)
            var n = 0
            for try await _ in rows { n += 1 }
            inserted = n > 0
        } catch {
            throw VoiceStoreError.unavailable(String(reflecting: error))
        }
        if !inserted { throw VoiceStoreError.exists(v.name) }
    }

    public func delete(_ name: String) async throws -> Bool {
        do {
            let rows = try await client.query("DELETE FROM voices WHERE name = \(name) RETURNING name")
            var n = 0
            for try await _ in rows { n += 1 }
            return n > 0
        } catch {
            throw VoiceStoreError.unavailable(String(reflecting: error))
        }
    }

    public func close() async {}
}

/// Creates the PostgreSQL table once the client runs (both are services of the app), then waits
/// for shutdown. A database that cannot be reached stops the server with its error.
public struct MigrationService: Service {
    let store: PostgresVoiceStore
    let logger: Logger
    public init(store: PostgresVoiceStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        try await store.migrate()
        logger.info("voice library: PostgreSQL ready")
        try? await gracefulShutdown()
    }
}
