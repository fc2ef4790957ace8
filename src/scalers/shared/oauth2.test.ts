import { describe, expect, it } from "vitest";
import type { HttpResponse } from "./http-get.ts";
import { clientCredentialsTokenSource, tokenRequestForm } from "./oauth2.ts";

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function stubEndpoint(answer: (sent: Sent) => HttpResponse) {
  const sent: Sent[] = [];
  return {
    sent,
    http: {
      post: async (url: URL, headers: Record<string, string>, body: string) => {
        const request = { url: url.href, headers, body };
        sent.push(request);
        return answer(request);
      },
    },
  };
}

const signal = AbortSignal.timeout(1000);
const config = {
  tokenUrl: "https://idp.example/oauth/token",
  endpointLabel: "oauthTokenURI",
  clientId: "my client",
  clientSecret: "s3cret&+",
};

describe("clientCredentialsTokenSource", () => {
  it("asks with the credentials in a basic header, each form-encoded, and reuses the token", async () => {
    let now = 1_000_000;
    const endpoint = stubEndpoint(() => ({
      status: 200,
      body: JSON.stringify({ access_token: "T1", token_type: "bearer", expires_in: 60 }),
    }));
    const source = clientCredentialsTokenSource(
      { ...config, scopes: ["a", " b"], endpointParams: new Map([["audience", ["rabbitmq"]]]) },
      endpoint.http,
      () => now,
    );
    expect(await source.token(signal)).toEqual({ accessToken: "T1", type: "Bearer", expiresAt: 1_060_000 });
    expect(endpoint.sent).toEqual([
      {
        url: "https://idp.example/oauth/token",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Authorization: `Basic ${Buffer.from("my+client:s3cret%26%2B").toString("base64")}`,
        },
        body: "audience=rabbitmq&grant_type=client_credentials&scope=a++b",
      },
    ]);
    now += 49_000;
    await source.token(signal);
    expect(endpoint.sent).toHaveLength(1);
    // Ten seconds before expiry the token counts as expired.
    now += 2_000;
    await source.token(signal);
    expect(endpoint.sent).toHaveLength(2);
  });

  it("falls back to the credentials in the form when the header is refused, and remembers it", async () => {
    const endpoint = stubEndpoint((sent) =>
      sent.headers.Authorization
        ? { status: 401, body: '{"error":"invalid_client"}' }
        : { status: 200, body: '{"access_token":"T2"}' },
    );
    const source = clientCredentialsTokenSource(config, endpoint.http);
    expect(await source.token(signal)).toEqual({ accessToken: "T2", type: "Bearer", expiresAt: undefined });
    expect(endpoint.sent[1]?.body).toBe(
      "client_id=my+client&client_secret=s3cret%26%2B&grant_type=client_credentials",
    );
    // A token without expires_in never expires.
    await source.token(signal);
    expect(endpoint.sent).toHaveLength(2);
  });

  it("reports the endpoint's error and description, naming the parameter, not the secret", async () => {
    const endpoint = stubEndpoint(() => ({
      status: 400,
      body: '{"error":"invalid_scope","error_description":"no such scope"}',
    }));
    const source = clientCredentialsTokenSource(config, endpoint.http);
    await expect(source.token(signal)).rejects.toThrow(
      "cannot get an OAuth2 token from oauthTokenURI: the token endpoint refused the client credentials (HTTP 400, invalid_scope: no such scope)",
    );
    const empty = clientCredentialsTokenSource(
      config,
      stubEndpoint(() => ({ status: 200, body: "{}" })).http,
    );
    await expect(empty.token(signal)).rejects.toThrow("the token endpoint's answer has no access_token");
  });

  it("reads a form-encoded answer and keeps another token type", async () => {
    const endpoint = stubEndpoint(() => ({
      status: 200,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "access_token=T3&token_type=mac&expires_in=100",
    }));
    const token = await clientCredentialsTokenSource(config, endpoint.http, () => 0).token(signal);
    expect(token).toEqual({ accessToken: "T3", type: "MAC", expiresAt: 100_000 });
  });
});

describe("tokenRequestForm", () => {
  it("sends scope only for a non-empty list, and refuses endpointParams that override it", () => {
    expect(tokenRequestForm({ ...config, scopes: [] }).has("scope")).toBe(false);
    expect(tokenRequestForm({ ...config, scopes: [""] }).get("scope")).toEqual([""]);
    expect(() =>
      tokenRequestForm({ ...config, scopes: ["a"], endpointParams: new Map([["scope", ["b"]]]) }),
    ).toThrow('endpointParams cannot override the token request\'s "scope" parameter');
    expect(
      tokenRequestForm({ ...config, endpointParams: new Map([["grant_type", ["other"]]]) }).get("grant_type"),
    ).toEqual(["other"]);
  });
});
