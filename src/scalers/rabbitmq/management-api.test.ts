import { describe, expect, it } from "vitest";
import type { HttpGetClient } from "../shared/http-get.ts";
import { managementRequest, readQueue, vhostAndPrefix } from "./management-api.ts";

describe("vhostAndPrefix", () => {
  it.each([
    // raw path, vhostName override, vhost, prefix (KEDA's table for getVhostAndPathFromURL)
    ["/myVhost", "", "/myVhost", ""],
    ["/", "", "/%2F", ""],
    ["//", "", "/%2F", ""],
    ["", "", "/%2F", ""],
    ["/sub1/myVhost", "", "/myVhost", "/sub1"],
    ["/sub1/", "overridden", "/overridden", "/sub1"],
    ["/myVhost", "overridden", "/overridden", ""],
    ["/sub1/", "", "/%2F", "/sub1"],
    ["/sub1//", "", "/%2F", "/sub1"],
    ["/sub1/sub2/myVhost", "", "/myVhost", "/sub1/sub2"],
    ["/sub1/sub2/", "myVhost", "/myVhost", "/sub1/sub2"],
    ["/%2F", "", "/%2F", ""],
    ["/a%20b", "", "/a%20b", ""],
    ["/", "/", "/%2F", ""],
    ["/", "team a", "/team%20a", ""],
  ])("path %j with vhostName %j → vhost %s, prefix %j", (rawPath, vhostName, vhost, prefix) => {
    expect(vhostAndPrefix(rawPath, vhostName || undefined)).toEqual({ vhost, prefix });
  });
});

describe("managementRequest", () => {
  const query = { queueName: "jobs", useRegex: false, pageSize: 100 };
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

  it("moves the URL's credentials into a header and addresses the queue", () => {
    const request = managementRequest("http://guest:p%40ss@rabbit:15672/", query);
    expect(request.url.href).toBe("http://rabbit:15672/api/queues/%2F/jobs");
    expect(request.authorization).toBe(basic("guest", "p@ss"));
  });

  it("lets username and password override the URL's credentials", () => {
    const request = managementRequest("https://guest:guest@rabbit/mgmt/vh", {
      ...query,
      username: "u",
      password: "pw",
    });
    expect(request.url.href).toBe("https://rabbit/mgmt/api/queues/vh/jobs");
    expect(request.authorization).toBe(basic("u", "pw"));
  });

  it("sends no credentials when there are none", () => {
    expect(managementRequest("http://rabbit:15672/", query).authorization).toBeUndefined();
  });

  it("escapes the queue name as a path segment", () => {
    const request = managementRequest("http://rabbit/", { ...query, queueName: "a b/c" });
    expect(request.url.pathname).toBe("/api/queues/%2F/a%20b%2Fc");
  });

  it("queries by regex with KEDA's parameters", () => {
    const request = managementRequest("http://rabbit/v", {
      ...query,
      queueName: "^jobs-.+$",
      useRegex: true,
      pageSize: 7,
    });
    expect(request.url.href).toBe(
      "http://rabbit/api/queues/v?page=1&use_regex=true&pagination=false&name=%5Ejobs-.%2B%24&page_size=7",
    );
  });
});

describe("readQueue", () => {
  const request = managementRequest("http://u:p@rabbit:15672/", {
    queueName: "jobs",
    useRegex: false,
    pageSize: 100,
  });
  const signal = new AbortController().signal;
  const plain = { useRegex: false, excludeUnacknowledged: false, operation: "sum" as const };
  const answering = (
    status: number,
    body: unknown,
  ): HttpGetClient & { headers: Record<string, string>[] } => {
    const headers: Record<string, string>[] = [];
    return {
      headers,
      get: async (_url, sent) => {
        headers.push(sent);
        return { status, body: typeof body === "string" ? body : JSON.stringify(body) };
      },
      close: () => undefined,
    };
  };

  it("reads one queue and sends the credentials as basic authentication", async () => {
    const client = answering(200, { messages: 4, messages_ready: 1 });
    expect(await readQueue(client, request, plain, signal)).toEqual({
      messages: 4,
      publishRate: 0,
      deliverGetRate: 0,
    });
    expect(client.headers).toEqual([{ authorization: request.authorization }]);
  });

  it("combines the queues of a regex page and refuses a second page", async () => {
    const items = [{ messages: 2 }, { messages: 7 }];
    const regex = { ...plain, useRegex: true, operation: "max" as const };
    expect(await readQueue(answering(200, { items, page_count: 1 }), request, regex, signal)).toMatchObject({
      messages: 7,
    });
    await expect(readQueue(answering(200, { items, page_count: 2 }), request, regex, signal)).rejects.toThrow(
      /more queues than one page holds/,
    );
  });

  it("names the cause of an error answer", async () => {
    await expect(
      readQueue(answering(401, '{"error":"not_authorized"}'), request, plain, signal),
    ).rejects.toThrow(
      /^authentication failed: management API answered 401 for GET http:\/\/rabbit:15672\/api\/queues\/%2F\/jobs: /,
    );
    await expect(readQueue(answering(404, "{}"), request, plain, signal)).rejects.toThrow(
      /^queue or vhost not found/,
    );
    await expect(readQueue(answering(500, "boom"), request, plain, signal)).rejects.toThrow(
      /^request failed: .*500/,
    );
    await expect(readQueue(answering(200, "<html>"), request, plain, signal)).rejects.toThrow(/not JSON/);
  });

  it("says which server could not be reached", async () => {
    const unreachable: HttpGetClient = {
      get: async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.1:15672");
      },
      close: () => undefined,
    };
    await expect(readQueue(unreachable, request, plain, signal)).rejects.toThrow(
      "cannot reach the management API at http://rabbit:15672: connect ECONNREFUSED 10.0.0.1:15672",
    );
  });
});
