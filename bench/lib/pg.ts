// A scratch database per scenario, created and dropped around it, so bench
// runs never touch the test databases or each other.
import { Client } from 'pg';

/** Server to use; BENCH_DATABASE_URL overrides (no database name in it). */
export const PG_SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432';

export interface ScratchDb {
  url: string;
  client: Client;
  drop(): Promise<void>;
}

export async function scratchDb(name: string): Promise<ScratchDb> {
  const admin = new Client({ connectionString: `${PG_SERVER}/postgres` });
  await admin.connect();
  const db = `${name}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${db}`);
  await admin.query(`CREATE DATABASE ${db}`);
  const url = `${PG_SERVER}/${db}`;
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    url,
    client,
    drop: async () => {
      await client.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}
