import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { Cleanup, postgresDatabase, postgresSchema, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("postgres"));

async function withClient<T>(connectionString: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

describe("postgres test server", () => {
  const cleanup = useCleanup();

  it("connects as tidal to the tidal database on 127.0.0.1:5432", async () => {
    const row = await withClient(services.postgresUrl, async (client) => {
      const result = await client.query(
        "SELECT current_user AS user, current_database() AS db, inet_server_addr()::text AS addr, " +
          "inet_server_port() AS port, current_setting('server_version_num')::int AS version",
      );
      return result.rows[0];
    });
    expect(row).toMatchObject({ user: "tidal", db: "tidal", addr: "127.0.0.1/32", port: 5432 });
    expect(row.version).toBeGreaterThanOrEqual(150000);
  });

  it("writes and reads rows in an isolated schema", async () => {
    const schema = await postgresSchema(cleanup, "smoke");
    const rows = await withClient(services.postgresUrl, async (client) => {
      await client.query(`CREATE TABLE ${schema}.jobs (id int PRIMARY KEY, state text NOT NULL)`);
      await client.query(`INSERT INTO ${schema}.jobs VALUES ($1, $2), ($3, $4)`, [1, "queued", 2, "done"]);
      return (await client.query(`SELECT id, state FROM ${schema}.jobs ORDER BY id`)).rows;
    });
    expect(rows).toEqual([
      { id: 1, state: "queued" },
      { id: 2, state: "done" },
    ]);
  });

  it("lets tidal create a database of its own and connect to it", async () => {
    const database = await postgresDatabase(cleanup, "smoke");
    const count = await withClient(database.url, async (client) => {
      expect((await client.query("SELECT current_database() AS db")).rows[0].db).toBe(database.name);
      await client.query("CREATE TABLE t (v int)");
      await client.query("INSERT INTO t SELECT generate_series(1, 5)");
      return (await client.query("SELECT count(*)::int AS n FROM t")).rows[0].n;
    });
    expect(count).toBe(5);
  });

  it("cleanup drops the schema and the database", async () => {
    const local = new Cleanup();
    local.enterTest();
    const schema = await postgresSchema(local, "gone");
    const database = await postgresDatabase(local, "gone");
    await withClient(database.url, (client) => client.query("SELECT 1")); // the database exists
    await local.afterTest();
    const left = await withClient(services.postgresUrl, async (client) => ({
      schemas: (await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).rowCount,
      databases: (await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database.name]))
        .rowCount,
    }));
    expect(left).toEqual({ schemas: 0, databases: 0 });
  });
});
