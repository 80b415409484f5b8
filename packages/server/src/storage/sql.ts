import type { SqlDriver } from "./driver.js";

/**
 * The one schema of the delivery service, shared by PGlite and PostgreSQL, as numbered
 * migrations. `migrate()` applies the missing ones in a transaction under an advisory lock, so
 * several instances starting together over one database apply each exactly once.
 *
 * Times are milliseconds since the Unix epoch (BIGINT); binary values are BYTEA.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE clients (
  client_id     TEXT PRIMARY KEY,
  identity      BYTEA NOT NULL UNIQUE,
  signature_key BYTEA NOT NULL UNIQUE,
  created_at    BIGINT NOT NULL
);

-- Nonces of signed requests, kept until their timestamp leaves the accepted window.
CREATE TABLE nonces (
  client_id  TEXT NOT NULL,
  nonce      TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (client_id, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);

CREATE TABLE key_packages (
  id          BIGSERIAL PRIMARY KEY,
  client_id   TEXT NOT NULL REFERENCES clients (client_id),
  identity    BYTEA NOT NULL,
  pair        BYTEA NOT NULL,
  last_resort BOOLEAN NOT NULL,
  created_at  BIGINT NOT NULL
);
CREATE INDEX key_packages_claim ON key_packages (identity, last_resort, id);
CREATE UNIQUE INDEX key_packages_one_last_resort ON key_packages (client_id) WHERE last_resort;

-- T KeyPackage references of every published pair (kept after a claim): they address Welcomes.
CREATE TABLE key_package_refs (
  ref        BYTEA PRIMARY KEY,
  identity   BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE groups (
  group_id              TEXT PRIMARY KEY,
  t_group_id            BYTEA NOT NULL UNIQUE,
  pq_group_id           BYTEA NOT NULL,
  t_suite               INTEGER NOT NULL,
  pq_suite              INTEGER NOT NULL,
  mode                  INTEGER NOT NULL,
  t_epoch               BIGINT NOT NULL,
  pq_epoch              BIGINT NOT NULL,
  last_seq              BIGINT NOT NULL DEFAULT 0,
  policy                JSONB NOT NULL,
  created_at            BIGINT NOT NULL,
  last_full_at          BIGINT,
  last_commit_at        BIGINT,
  commits_since_full    INTEGER NOT NULL DEFAULT 0,
  messages_since_commit INTEGER NOT NULL DEFAULT 0,
  group_info            BYTEA,
  group_info_t_epoch    BIGINT,
  group_info_pq_epoch   BIGINT,
  -- identities (base64url, or null for blank leaves) by leaf index of the stored GroupInfo's tree
  group_info_leaves     JSONB
);

CREATE TABLE members (
  group_id       TEXT NOT NULL REFERENCES groups (group_id),
  identity       BYTEA NOT NULL,
  joined_at      BIGINT NOT NULL,
  last_commit_at BIGINT,
  -- null while a member; else the seq of the commit that removed it (it may read up to there)
  removed_seq    BIGINT,
  PRIMARY KEY (group_id, identity)
);
CREATE INDEX members_identity ON members (identity);

CREATE TABLE messages (
  group_id   TEXT NOT NULL REFERENCES groups (group_id),
  seq        BIGINT NOT NULL,
  kind       TEXT NOT NULL,
  t_epoch    BIGINT NOT NULL,
  pq_epoch   BIGINT NOT NULL,
  sender     TEXT,
  body       BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (group_id, seq)
);
-- The ordering rules, enforced by the database: one commit per T epoch, one FULL commit (or
-- external join) per PQ epoch.
CREATE UNIQUE INDEX messages_one_commit_per_t_epoch ON messages (group_id, t_epoch)
  WHERE kind IN ('full-commit', 'partial-commit', 'external-join');
CREATE UNIQUE INDEX messages_one_full_per_pq_epoch ON messages (group_id, pq_epoch)
  WHERE kind IN ('full-commit', 'external-join');

CREATE TABLE welcomes (
  group_id   TEXT NOT NULL REFERENCES groups (group_id),
  seq        BIGINT NOT NULL,
  body       BYTEA NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (group_id, seq)
);
CREATE TABLE welcome_recipients (
  identity BYTEA NOT NULL,
  group_id TEXT NOT NULL,
  seq      BIGINT NOT NULL,
  PRIMARY KEY (identity, group_id, seq),
  FOREIGN KEY (group_id, seq) REFERENCES welcomes (group_id, seq) ON DELETE CASCADE
);
`,
  },
  {
    version: 2,
    name: "one copy of each message",
    sql: `
-- A message is stored once: the same bytes posted again (a client retrying after a lost answer,
-- or a replay) find the stored copy instead of a second sequence number. MLS ciphertexts never
-- repeat (each has its own generation and nonce), so equal bytes are the same message.
ALTER TABLE messages ADD COLUMN body_hash BYTEA;
UPDATE messages SET body_hash = sha256(body);
ALTER TABLE messages ALTER COLUMN body_hash SET NOT NULL;
CREATE UNIQUE INDEX messages_one_copy ON messages (group_id, body_hash);
`,
  },
];

/** Tables in dependency order (for tests that empty the database). */
export const TABLES = [
  "welcome_recipients",
  "welcomes",
  "messages",
  "members",
  "groups",
  "key_package_refs",
  "key_packages",
  "nonces",
  "clients",
] as const;

/** Arbitrary constant of the migration advisory lock ("hpqm"). */
const MIGRATION_LOCK = 0x6870716d;

/** The statements of a migration script (split at semicolons that end a line). */
export function statements(script: string): string[] {
  return script
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) =>
      s.split("\n").some((line) => line.trim() !== "" && !line.trim().startsWith("--")),
    );
}

/** Applies the missing migrations; returns the schema version. */
export async function migrate(driver: SqlDriver): Promise<number> {
  return driver.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.query(
      "CREATE TABLE IF NOT EXISTS hpqmls_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    );
    const [row] = await tx.query<{ v: number | null }>(
      "SELECT max(version) AS v FROM hpqmls_schema",
    );
    let current = row?.v ?? 0;
    const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    if (current > latest)
      throw new Error(
        `the database schema (version ${current}) is newer than this server (version ${latest}); upgrade the server`,
      );
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const statement of statements(m.sql)) await tx.query(statement);
      await tx.query("INSERT INTO hpqmls_schema (version, name, applied_at) VALUES ($1, $2, $3)", [
        m.version,
        m.name,
        Date.now(),
      ]);
      current = m.version;
    }
    return current;
  });
}
