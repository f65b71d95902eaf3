-- The persistent log store behind persistent://<key> drains and GET /logs/:key.
-- Append-only: one row per message, written in batches; retention deletes the
-- oldest rows per key in bounded chunks. (logtrain kept one ever-growing text
-- value per key and rewrote it every second; that does not scale.)
CREATE TABLE IF NOT EXISTS log_lines (
  id       bigserial   PRIMARY KEY,
  key      text        NOT NULL,
  received timestamptz NOT NULL DEFAULT now(),
  -- The RFC 5424 bytes as routed: bytea, so invalid UTF-8 survives unchanged.
  line     bytea       NOT NULL
);

-- Every read (keyset pagination, tail, follow) and every retention pass walks
-- one key in id order.
CREATE INDEX IF NOT EXISTS log_lines_key_id_idx ON log_lines (key, id);

-- Keys that exist: registered when a persistent drain for the key starts, so
-- a key with a drain but no lines yet answers 200 (empty), an unknown one 404.
-- Retention walks this table instead of scanning log_lines for distinct keys.
CREATE TABLE IF NOT EXISTS log_keys (
  key     text        PRIMARY KEY,
  created timestamptz NOT NULL DEFAULT now()
);
