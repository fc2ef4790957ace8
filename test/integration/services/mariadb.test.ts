import mysql, { type RowDataPacket } from "mysql2/promise";
import { beforeAll, describe, expect, it } from "vitest";
import { Cleanup, mariadbDatabase, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("mariadb"));

async function withConnection<T>(url: string, use: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection(url);
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

describe("mariadb test server", () => {
  const cleanup = useCleanup();

  it("connects as tidal to the tidal database on 127.0.0.1:3306", async () => {
    const [rows] = await withConnection(services.mysqlUrl, (connection) =>
      connection.query<RowDataPacket[]>(
        "SELECT CURRENT_USER() AS user, DATABASE() AS db, VERSION() AS version",
      ),
    );
    expect(rows[0]).toMatchObject({ user: expect.stringMatching(/^tidal@/), db: "tidal" });
    expect(rows[0]!.version).toMatch(/MariaDB/);
  });

  it("writes and reads rows in an isolated database", async () => {
    const database = await mariadbDatabase(cleanup, "smoke");
    const rows = await withConnection(database.url, async (connection) => {
      await connection.query("CREATE TABLE jobs (id INT PRIMARY KEY, state VARCHAR(20) NOT NULL)");
      await connection.query("INSERT INTO jobs VALUES (?, ?), (?, ?)", [1, "queued", 2, "done"]);
      const [result] = await connection.query<RowDataPacket[]>("SELECT id, state FROM jobs ORDER BY id");
      return result.map((row) => ({ ...row }));
    });
    expect(rows).toEqual([
      { id: 1, state: "queued" },
      { id: 2, state: "done" },
    ]);
  });

  it("cleanup drops the database", async () => {
    const local = new Cleanup();
    local.enterTest();
    const database = await mariadbDatabase(local, "gone");
    const exists = (connection: mysql.Connection) =>
      connection
        .query<RowDataPacket[]>("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", [
          database.name,
        ])
        .then(([rows]) => rows.length);
    expect(await withConnection(services.mysqlUrl, exists)).toBe(1);
    await local.afterTest();
    expect(await withConnection(services.mysqlUrl, exists)).toBe(0);
  });
});
