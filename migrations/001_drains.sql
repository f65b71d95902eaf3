-- Routes: one row per (hostname → drain endpoint), compatible with
-- akkeris/logtrain's drains table so existing databases and tooling keep
-- working. `INSERT INTO drains (hostname, endpoint) VALUES (...)` is all a
-- user needs; everything else has a default.
CREATE TABLE IF NOT EXISTS drains (
  drain    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  hostname text        NOT NULL,
  endpoint text        NOT NULL,
  created  timestamptz NOT NULL DEFAULT now(),
  updated  timestamptz NOT NULL DEFAULT now()
);

-- GET /drains?hostname= and operators' ad-hoc queries.
CREATE INDEX IF NOT EXISTS drains_hostname_idx ON drains (hostname);

CREATE OR REPLACE FUNCTION switchyard_drains_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated := now();
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS switchyard_drains_touch ON drains;
CREATE TRIGGER switchyard_drains_touch
  BEFORE UPDATE ON drains
  FOR EACH ROW EXECUTE FUNCTION switchyard_drains_touch();

-- Every router LISTENs on switchyard_drains. The payload only names the row
-- (the listener reads it), so it stays tiny whatever the endpoint holds and
-- never carries credentials. An update that changes the key reports both ids.
CREATE OR REPLACE FUNCTION switchyard_drains_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('switchyard_drains', json_build_object('op', 'delete', 'id', OLD.drain)::text);
  ELSE
    IF TG_OP = 'UPDATE' AND NEW.drain IS DISTINCT FROM OLD.drain THEN
      PERFORM pg_notify('switchyard_drains', json_build_object('op', 'delete', 'id', OLD.drain)::text);
    END IF;
    PERFORM pg_notify('switchyard_drains', json_build_object('op', lower(TG_OP), 'id', NEW.drain)::text);
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS switchyard_drains_notify ON drains;
CREATE TRIGGER switchyard_drains_notify
  AFTER INSERT OR UPDATE OR DELETE ON drains
  FOR EACH ROW EXECUTE FUNCTION switchyard_drains_notify();

-- TRUNCATE fires no row triggers; tell listeners to reload everything.
CREATE OR REPLACE FUNCTION switchyard_drains_notify_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('switchyard_drains', '{"op":"truncate"}');
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS switchyard_drains_notify_truncate ON drains;
CREATE TRIGGER switchyard_drains_notify_truncate
  AFTER TRUNCATE ON drains
  FOR EACH STATEMENT EXECUTE FUNCTION switchyard_drains_notify_truncate();
