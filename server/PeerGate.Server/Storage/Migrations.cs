using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace PeerGate.Server.Storage;

/// <summary>
/// The schema, as an append-only list of steps, one list for both engines. A database remembers how
/// many it has applied (SQLite: PRAGMA user_version; PostgreSQL: the peergate_schema row), so a server
/// started on an older database brings it forward in place. Never edit a step that has shipped: add
/// the next one.
/// </summary>
/// <remarks>
/// A step is written once, in SQLite's DDL; PostgreSQL runs the same text with the types translated
/// (<see cref="PostgresEngine.Translate"/>: INTEGER is BIGINT, BLOB is BYTEA...). Only a step using
/// what SQLite alone has (a trigger's body, a function of ours) carries a PostgreSQL text of its own.
/// A PostgreSQL database always starts empty and takes every step in one go, so a data-moving part
/// of an old step has nothing to move there.
/// </remarks>
public static class Migrations
{
    private static readonly MigrationStep[] Steps =
    [
        // 1: identity, allocation and registry (F2-F13).
        new("""
        CREATE TABLE groups (
            group_id    TEXT PRIMARY KEY,
            group_key   BLOB NULL,                 -- null: an operator-made group that derives no keys
            revoked     INTEGER NOT NULL DEFAULT 0,
            created_at  INTEGER NOT NULL
        );

        CREATE TABLE devices (
            device_id        TEXT PRIMARY KEY,
            device_key       BLOB NULL,            -- null: the key is derived from enrollment_group's key
            enrollment_group TEXT NULL REFERENCES groups (group_id),
            disabled         INTEGER NOT NULL DEFAULT 0,
            terminal_id      TEXT NULL UNIQUE,     -- issued at the first successful authentication (F5)
            created_at       INTEGER NOT NULL
        );

        CREATE TABLE group_members (
            group_id  TEXT NOT NULL REFERENCES groups (group_id),
            device_id TEXT NOT NULL REFERENCES devices (device_id),
            PRIMARY KEY (group_id, device_id)
        );

        CREATE TABLE nonces (
            nonce_id   TEXT PRIMARY KEY,
            device_id  TEXT NOT NULL,              -- the nonce answers for this device only
            group_id   TEXT NULL,
            nonce      BLOB NOT NULL,
            expires_at INTEGER NOT NULL,
            used       INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX nonces_expiry ON nonces (expires_at);

        CREATE TABLE certificates (
            serial      TEXT PRIMARY KEY,
            device_id   TEXT NOT NULL REFERENCES devices (device_id),
            terminal_id TEXT NOT NULL,
            issued_at   INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            revoked     INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX certificates_device ON certificates (device_id);

        CREATE TABLE service_entry (
            id    INTEGER PRIMARY KEY CHECK (id = 1),
            role  TEXT NOT NULL,
            url   TEXT NOT NULL,
            level INTEGER NOT NULL
        );

        CREATE TABLE allocation_entries (
            level      INTEGER NOT NULL,
            key        TEXT NOT NULL,
            role       TEXT NOT NULL,
            url        TEXT NOT NULL,
            next_level INTEGER NOT NULL,
            PRIMARY KEY (level, key)
        );

        -- One row per terminal, whichever issuer certified it; groups come from the certificate.
        CREATE TABLE registrations (
            terminal_id   TEXT PRIMARY KEY,
            issuer        TEXT NOT NULL,
            device_id     TEXT NOT NULL,
            serial        TEXT NOT NULL,
            local_ip      TEXT NULL,
            local_port    INTEGER NOT NULL,
            observed_ip   TEXT NULL,
            observed_port INTEGER NOT NULL,
            discoverable  INTEGER NOT NULL,
            kind          TEXT NULL,
            capabilities  TEXT NOT NULL,           -- JSON array of strings
            attributes    TEXT NOT NULL,           -- JSON array of "key=value"
            last_seen     INTEGER NOT NULL,
            expires_at    INTEGER NOT NULL
        );
        CREATE INDEX registrations_expiry ON registrations (expires_at);

        CREATE TABLE registration_groups (
            terminal_id TEXT NOT NULL REFERENCES registrations (terminal_id) ON DELETE CASCADE,
            group_id    TEXT NOT NULL,
            PRIMARY KEY (terminal_id, group_id)
        );
        CREATE INDEX registration_groups_group ON registration_groups (group_id);
        """),

        // 2: permits, the trigger queue, sessions and the connection-attempt log (F14, F16-F18, F21).
        new("""
        -- Who may connect to terminal_id (F14); kind is terminal, group or name.
        CREATE TABLE permits (
            terminal_id TEXT NOT NULL,
            kind        TEXT NOT NULL,
            value       TEXT NOT NULL,
            PRIMARY KEY (terminal_id, kind, value)
        );
        CREATE INDEX permits_named ON permits (kind, value);

        CREATE TABLE permit_policies (
            terminal_id    TEXT PRIMARY KEY,
            uniform_denial INTEGER NOT NULL
        );

        -- The last trigger sequence number given out per terminal, so numbers keep rising after deletes.
        CREATE TABLE trigger_sequences (
            terminal_id TEXT PRIMARY KEY,
            last_seq    INTEGER NOT NULL
        );

        -- The per-terminal queue, the truth of the trigger channel (F21): a row stays until the
        -- terminal acknowledges it (or it expires). body is the Trigger as wire JSON; a session
        -- offer's password and key live only here, until acknowledged.
        CREATE TABLE triggers (
            terminal_id TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            kind        TEXT NOT NULL,
            body        TEXT NOT NULL,
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            PRIMARY KEY (terminal_id, seq)
        );

        -- Issued sessions (F18); the secrets are not kept here.
        CREATE TABLE sessions (
            session_id TEXT PRIMARY KEY,
            caller     TEXT NOT NULL,
            callee     TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        );
        CREATE INDEX sessions_expiry ON sessions (expires_at);

        -- Every connection query, the furthest stage it reached and the code it ended with (F33).
        CREATE TABLE connection_attempts (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            at         INTEGER NOT NULL,
            caller     TEXT NOT NULL,
            callee     TEXT NULL,                  -- null when the query named no well-formed terminal
            stage      TEXT NOT NULL,
            code       TEXT NULL,                  -- null when granted
            session_id TEXT NULL
        );
        """),

        // 3: device names, device-held permit lists, session limits, end notices and session policies (F15, F22-F26).
        new("""
        -- One device name per terminal (F22), unique on the server; it stays reserved while the registration lapses.
        CREATE TABLE terminal_names (
            terminal_id TEXT PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE
        );

        ALTER TABLE permit_policies ADD COLUMN device_held INTEGER NOT NULL DEFAULT 0;

        -- A session's limits and how it ended (F23-F26). expires_at stays the offer's expiry;
        -- ends_at is the session's. ended_by: caller, callee, operator or expiry.
        ALTER TABLE sessions ADD COLUMN ends_at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN byte_limit INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
        ALTER TABLE sessions ADD COLUMN ended_by TEXT NULL;
        ALTER TABLE sessions ADD COLUMN ended_at INTEGER NULL;
        UPDATE sessions SET ends_at = expires_at;
        CREATE INDEX sessions_active ON sessions (state, ends_at);
        CREATE INDEX sessions_caller ON sessions (caller);
        CREATE INDEX sessions_callee ON sessions (callee);

        -- Each side's end notice (F25), the first one it sent; side is caller or callee.
        CREATE TABLE session_notices (
            session_id     TEXT NOT NULL REFERENCES sessions (session_id),
            side           TEXT NOT NULL,
            bytes_sent     INTEGER NOT NULL,
            bytes_received INTEGER NOT NULL,
            reason         TEXT NOT NULL,
            detail         TEXT NULL,
            at             INTEGER NOT NULL,
            PRIMARY KEY (session_id, side)
        );

        -- The operator's per-device ceiling on a session's total lifetime and bytes (F24); 0 = the server default.
        CREATE TABLE session_policies (
            terminal_id TEXT PRIMARY KEY,
            max_seconds INTEGER NOT NULL,
            max_bytes   INTEGER NOT NULL
        );
        """),

        // 4: disabling a group, and the index that finds a device's groups on every certificate check.
        new("""
        ALTER TABLE groups ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX group_members_device ON group_members (device_id);
        """),

        // 5: the row readiness (/health/ready) rewrites to prove the database takes writes.
        new("""
        CREATE TABLE write_probe (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            at INTEGER NOT NULL
        );
        """),

        // 6: indexes for bounded retention: the attempt log by caller and by age, certificates and ended sessions by age, triggers by expiry.
        new("""
        CREATE INDEX connection_attempts_caller ON connection_attempts (caller, id);
        CREATE INDEX connection_attempts_at ON connection_attempts (at);
        CREATE INDEX certificates_expiry ON certificates (expires_at);
        CREATE INDEX sessions_ended ON sessions (ended_at);
        CREATE INDEX triggers_expiry ON triggers (expires_at);
        """),

        // 7: a device name belongs to one device, by the operator's binding or the device's own first claim (F22).
        new("""
        -- The owner is the device identity: the certificate's issuer and Device ID, which outlive
        -- re-authentication, new certificates and lapsed registrations. state: bound (to the owner),
        -- reserved (no owner; no device may claim it) or suspended (kept from before the name syntax,
        -- or two terminals held it in different case: it matches no permit until the operator rebinds
        -- or releases it). bound_by: operator or claim.
        CREATE TABLE device_names (
            id        INTEGER PRIMARY KEY,
            name_key  TEXT NOT NULL,                -- the name in ASCII lower case: names compare ignoring case
            name      TEXT NOT NULL,                -- as bound, for display
            state     TEXT NOT NULL,
            issuer    TEXT NULL,
            device_id TEXT NULL,
            bound_by  TEXT NOT NULL,
            bound_at  INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX device_names_key ON device_names (name_key) WHERE state <> 'suspended';
        CREATE UNIQUE INDEX device_names_owner ON device_names (issuer, device_id) WHERE state = 'bound';
        CREATE INDEX device_names_keys ON device_names (name_key);

        -- Names registered before bindings existed were first claims: they stay claims where they fit
        -- the syntax and are unambiguous, and are suspended otherwise.
        INSERT INTO device_names (name_key, name, state, issuer, device_id, bound_by, bound_at)
        SELECT lower(n.name), n.name,
               CASE WHEN peergate_device_name(n.name)
                         AND (SELECT count(*) FROM terminal_names o WHERE lower(o.name) = lower(n.name)) = 1
                         AND (SELECT count(*) FROM terminal_names o JOIN registrations q ON q.terminal_id = o.terminal_id
                              WHERE q.issuer = r.issuer AND q.device_id = r.device_id) = 1
                    THEN 'bound' ELSE 'suspended' END,
               r.issuer, r.device_id, 'claim', r.last_seen
        FROM terminal_names n JOIN registrations r ON r.terminal_id = n.terminal_id;
        DROP TABLE terminal_names;
        """,
        Postgres: """
        CREATE TABLE device_names (
            id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name_key  TEXT COLLATE "C" NOT NULL,
            name      TEXT COLLATE "C" NOT NULL,
            state     TEXT COLLATE "C" NOT NULL,
            issuer    TEXT COLLATE "C" NULL,
            device_id TEXT COLLATE "C" NULL,
            bound_by  TEXT COLLATE "C" NOT NULL,
            bound_at  BIGINT NOT NULL
        );
        CREATE UNIQUE INDEX device_names_key ON device_names (name_key) WHERE state <> 'suspended';
        CREATE UNIQUE INDEX device_names_owner ON device_names (issuer, device_id) WHERE state = 'bound';
        CREATE INDEX device_names_keys ON device_names (name_key);

        -- A PostgreSQL database takes every step at once, so terminal_names is empty here: nothing to move.
        DROP TABLE terminal_names;
        """),

        // 8: a Terminal ID belongs to one (issuer, device); another issuer's are bound at first sight.
        // Safe to run again over its own table (a test rewinds user_version past it).
        new("""
        CREATE TABLE IF NOT EXISTS terminal_owners (
            terminal_id TEXT PRIMARY KEY,
            issuer      TEXT NOT NULL,
            device_id   TEXT NOT NULL
        );

        -- Registrations made with other issuers' certificates are their first sight. This instance's
        -- own Terminal IDs are in devices and are never written here.
        INSERT OR IGNORE INTO terminal_owners (terminal_id, issuer, device_id)
        SELECT r.terminal_id, r.issuer, r.device_id FROM registrations r
        WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.terminal_id = r.terminal_id);
        """),

        // 9: group key derivation versions, factory allowlists and a cap on automatic enrollment per group (F3).
        // A table beside groups, not new columns, so the step is safe to run again (tests rewind user_version past it).
        new("""
        CREATE TABLE IF NOT EXISTS group_enrollment (
            group_id           TEXT PRIMARY KEY REFERENCES groups (group_id),
            derivation         INTEGER NOT NULL,       -- how members' keys come from the group key (AuthProofs.GroupDerivationMessage)
            enrollment_cap     INTEGER NULL,           -- the most devices that may enroll through the key; null: the server's default
            enrollment_stopped INTEGER NOT NULL DEFAULT 0,  -- members keep working, new devices are refused
            allowlist_on       INTEGER NOT NULL DEFAULT 0   -- only Device IDs in group_allowlist enroll (nobody, when it holds none)
        );

        -- Every group enrolled before labelled derivation is v1, so the devices flashed for it keep working.
        INSERT OR IGNORE INTO group_enrollment (group_id, derivation) SELECT group_id, 1 FROM groups;

        CREATE TABLE IF NOT EXISTS group_allowlist (
            group_id  TEXT NOT NULL REFERENCES groups (group_id),
            device_id TEXT NOT NULL,
            PRIMARY KEY (group_id, device_id)
        );

        -- Counts a group's automatically enrolled devices against its cap at every new member.
        CREATE INDEX IF NOT EXISTS devices_enrollment_group ON devices (enrollment_group);
        """),

        // 10: UDP rendezvous (F27): a key per issued certificate, and the NAT mapping each device's datagrams showed.
        // Safe to run again (a test rewinds user_version past it).
        new MigrationStep("""
        -- generation rises with each certificate of a device, so a datagram made with an older
        -- certificate's key can never outrank the newest one's. A key goes with its certificate.
        CREATE TABLE IF NOT EXISTS udp_keys (
            serial     TEXT PRIMARY KEY,
            device_id  TEXT NOT NULL,
            udp_key    BLOB NOT NULL,
            generation INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS udp_keys_device ON udp_keys (device_id, generation);
        CREATE TRIGGER IF NOT EXISTS certificates_udp_key_follows AFTER DELETE ON certificates
        BEGIN
            DELETE FROM udp_keys WHERE serial = old.serial;
        END;

        -- One row per device. Written from memory in batches (docs/rendezvous.md), so a flood of
        -- valid datagrams costs SQLite one transaction per flush, not one per datagram.
        CREATE TABLE IF NOT EXISTS udp_mappings (
            issuer         TEXT NOT NULL,
            terminal_id    TEXT NOT NULL,
            device_id      TEXT NOT NULL,
            serial         TEXT NOT NULL,
            key_generation INTEGER NOT NULL,
            counter        INTEGER NOT NULL,
            observed_ip    TEXT NOT NULL,
            observed_port  INTEGER NOT NULL,
            local_ip       TEXT NULL,
            local_port     INTEGER NOT NULL,
            seen_at        INTEGER NOT NULL,
            PRIMARY KEY (issuer, terminal_id)
        );
        CREATE INDEX IF NOT EXISTS udp_mappings_device ON udp_mappings (device_id);
        """).WithPostgresPart(
            sqlite: """
            CREATE TRIGGER IF NOT EXISTS certificates_udp_key_follows AFTER DELETE ON certificates
            BEGIN
                DELETE FROM udp_keys WHERE serial = old.serial;
            END;
            """,
            postgres: """
            CREATE OR REPLACE FUNCTION certificates_udp_key_follows() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM udp_keys WHERE serial = old.serial;
                RETURN old;
            END $$;
            CREATE OR REPLACE TRIGGER certificates_udp_key_follows AFTER DELETE ON certificates
                FOR EACH ROW EXECUTE FUNCTION certificates_udp_key_follows();
            """),

        // 11: each side's own limits key, which signs the limits granted to the other side's extension (F24).
        // Safe to run again (a test rewinds user_version past it).
        new("""
        -- Secret: the server's tag on limits a peer forwards is made with these. Held only while the
        -- session is active (deleted when it ends), never returned by any list.
        CREATE TABLE IF NOT EXISTS session_limits_keys (
            session_id TEXT PRIMARY KEY,
            caller_key BLOB NOT NULL,
            callee_key BLOB NOT NULL
        );
        """),

        // 12: the path each connection attempt took (F37) and the registrations that declare themselves reachable (a port-forward).
        // Side tables, so the step is safe to run again (a test rewinds user_version past it).
        new("""
        -- path: direct, reverse, punched or relayed; null with no_path saying why none was possible.
        CREATE TABLE IF NOT EXISTS connection_attempt_paths (
            attempt_id INTEGER PRIMARY KEY REFERENCES connection_attempts (id) ON DELETE CASCADE,
            path       TEXT NULL,
            no_path    TEXT NULL
        );

        -- A row: the device said its declared LocalIp:LocalPort takes connections from outside.
        CREATE TABLE IF NOT EXISTS registration_reachable (
            terminal_id TEXT PRIMARY KEY REFERENCES registrations (terminal_id) ON DELETE CASCADE
        );
        """),

        // 13: the trigger channel each device last registered with (F31, F38): udp or long-poll.
        // A table of its own, not a column, so the step is safe to run again (a test rewinds user_version past it).
        new("""
        CREATE TABLE IF NOT EXISTS registration_channels (
            terminal_id TEXT PRIMARY KEY REFERENCES registrations (terminal_id) ON DELETE CASCADE,
            trigger_channel TEXT NOT NULL
        );
        """),

        // 14: each device's last answer to a status query (Acceptable or Busy, F17), for the operator's device list (F33).
        // A table of its own, one row per terminal, so the step is safe to run again.
        new("""
        CREATE TABLE IF NOT EXISTS status_answers (
            terminal_id TEXT PRIMARY KEY,
            status      TEXT NOT NULL,
            reason      TEXT NULL,
            at          INTEGER NOT NULL
        );
        """),

        // 15: an attempt found by its session (the path a punched or relayed session settled on), without reading every attempt.
        new("""
        CREATE INDEX IF NOT EXISTS connection_attempts_session ON connection_attempts (session_id);
        """),

        // 16: no query reads a session by its offer's expiry (expiry works on ends_at, sessions_active), and
        // every session written kept this index too: one b-tree fewer in each connection setup's commit.
        new("""
        DROP INDEX IF EXISTS sessions_expiry;
        """),
    ];

    /// <summary>The schema version this server writes: how many steps it knows.</summary>
    public static int Version => Steps.Length;

    /// <summary>Brings a database of <paramref name="engine"/> to <see cref="Version"/>.</summary>
    public static void Apply(DbConnection connection, StorageEngine engine) => Apply(connection, engine, Steps.Length);

    /// <summary>As <see cref="Apply(DbConnection, StorageEngine, int)"/> on a SQLite file opened by hand (upgrade tests).</summary>
    public static void Apply(SqliteConnection connection, int through) =>
        Apply(connection, new SqliteEngine(connection.DataSource, TimeSpan.Zero), through);

    /// <summary>Applies the steps up to <paramref name="through"/> only: a database as an older server left it, for upgrade tests.</summary>
    /// <remarks>
    /// Every step still to apply runs in one write transaction (SQLite's IMMEDIATE one, PostgreSQL's
    /// under the write lock) with the version that says they are done: an upgrade either completes or,
    /// stopped or failing part way, leaves the database as the old server had it, so the old binary
    /// still runs on it; instances starting together migrate one after the other. A database at a
    /// version past <see cref="Version"/> was written by a newer server; it is refused untouched, since
    /// this server would misread tables it does not know.
    /// </remarks>
    /// <exception cref="SchemaTooNewException">The database's version is newer than this server's.</exception>
    public static void Apply(DbConnection connection, StorageEngine engine, int through)
    {
        using var transaction = engine.BeginWrite(connection);
        var applied = engine.SchemaVersion(connection, transaction);
        if (applied > Steps.Length)
        {
            throw new SchemaTooNewException(engine.Location, applied, Steps.Length);
        }

        engine.BeforeMigrations(connection, transaction);
        var target = Math.Min(through, Steps.Length);
        for (var step = applied; step < target; step++)
        {
            connection.Execute(transaction, engine.Ddl(Steps[step]));
        }

        if (applied < target)
        {
            engine.SetSchemaVersion(connection, transaction, target);
        }

        transaction.Commit();
    }
}

/// <summary>
/// One schema step: its DDL in SQLite's terms, and a PostgreSQL text only where the SQLite one uses
/// what PostgreSQL lacks (otherwise <see cref="PostgresEngine.Translate"/> derives it).
/// </summary>
public sealed record MigrationStep(string Sql, string? Postgres = null)
{
    /// <summary>
    /// This step with a PostgreSQL text that is its SQLite text translated, but with <paramref name="postgres"/>
    /// in place of the SQLite-only <paramref name="sqlite"/> part (a trigger's body, say).
    /// </summary>
    public MigrationStep WithPostgresPart(string sqlite, string postgres) =>
        Sql.Contains(sqlite, StringComparison.Ordinal)
            ? this with { Postgres = PostgresEngine.Translate(Sql.Replace(sqlite, postgres, StringComparison.Ordinal)) }
            : throw new InvalidOperationException("The SQLite part to replace is not in the step.");
}

/// <summary>The database was written by a newer server: this one stops rather than misread it.</summary>
public sealed class SchemaTooNewException(string path, int databaseVersion, int serverVersion)
    : InvalidOperationException(
        $"The database {path} has schema version {databaseVersion}, newer than this server's {serverVersion}: a newer PeerGate " +
        "server wrote it. Run that version again, or restore the backup taken before the upgrade (docs/operating.md#upgrades); " +
        "the database was not changed.")
{
    public int DatabaseVersion { get; } = databaseVersion;

    public int ServerVersion { get; } = serverVersion;
}
