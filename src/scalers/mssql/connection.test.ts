import { describe, expect, it } from "vitest";
import { kedaConnectionUrl, parseConnectionString } from "./connection.ts";

describe("go-mssqldb connection strings", () => {
  it("reads a sqlserver:// URL with an instance and options", () => {
    expect(
      parseConnectionString(
        "sqlserver://user1:Password%231@db.example:1533/SQLEXPRESS?database=Jobs&encrypt=true&TrustServerCertificate=true&connection+timeout=5",
      ),
    ).toEqual({
      host: "db.example",
      port: 1533,
      instanceName: "SQLEXPRESS",
      user: "user1",
      password: "Password#1",
      database: "Jobs",
      encrypt: "true",
      trustServerCertificate: true,
      connectionTimeout: 5,
    });
  });

  it("reads KEDA's ADO example and its synonyms", () => {
    expect(
      parseConnectionString(
        "Server=example.database.windows.net;port=1433;Database=AdventureWorks;Persist Security Info=False;User ID=user1;Password=Password#1;MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;",
      ),
    ).toEqual({
      host: "example.database.windows.net",
      port: 1433,
      user: "user1",
      password: "Password#1",
      database: "AdventureWorks",
      encrypt: "true",
      trustServerCertificate: false,
      connectionTimeout: 30,
    });
    expect(
      parseConnectionString("Data Source=db\\INST;Initial Catalog=x;UID=u;PWD={a;b}}c};encrypt=disable"),
    ).toMatchObject({
      host: "db",
      instanceName: "INST",
      user: "u",
      password: "a;b}c",
      database: "x",
      encrypt: "disable",
    });
    expect(parseConnectionString('odbc:server=db,1500;user id=u;password="p""w"')).toMatchObject({
      host: "db",
      port: 1500,
      password: 'p"w',
      encrypt: "false",
    });
  });

  it("names what is wrong", () => {
    expect(() => parseConnectionString("Database=x")).toThrow("the connection string names no server");
    expect(() => parseConnectionString("server=db;encrypt=maybe")).toThrow(
      'encrypt "maybe" is not one of disable, false, true, strict',
    );
    expect(() => parseConnectionString("server=db,port")).toThrow(
      'port "port" is not a number from 0 to 65535',
    );
    expect(() => parseConnectionString("server=db;password={open")).toThrow(
      'the connection string\'s value of "password" is not closed with }',
    );
  });

  it("assembles KEDA's URL from the parts", () => {
    expect(
      kedaConnectionUrl({ host: "db", port: 1433, username: "u s", password: "p@ss:w/rd!", database: "a b" }),
    ).toBe("sqlserver://u%20s:p%40ss%3Aw%2Frd%21@db:1433?database=a+b");
    expect(kedaConnectionUrl({ host: "::1", password: "ignored without user" })).toBe("sqlserver://[::1]");
  });
});
