import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSubjectAccessReviewAuthorizer } from "./authorizer.ts";
import type { AuthorizationRequest } from "./server.ts";

interface Review {
  spec: {
    user: string;
    groups?: string[];
    resourceAttributes?: Record<string, string>;
    nonResourceAttributes?: Record<string, string>;
  };
}

describe("createSubjectAccessReviewAuthorizer", () => {
  let server: Server;
  const reviews: Review[] = [];
  const kubeConfig = new KubeConfig();

  beforeAll(async () => {
    // A stand-in kube-apiserver: allows members of system:masters, denies everyone else.
    server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const review = JSON.parse(body) as Review;
        reviews.push(review);
        const allowed = review.spec.groups?.includes("system:masters") === true;
        setTimeout(() => {
          response.writeHead(201, { "content-type": "application/json" });
          response.end(
            JSON.stringify({
              ...review,
              apiVersion: "authorization.k8s.io/v1",
              kind: "SubjectAccessReview",
              status: { allowed },
            }),
          );
        }, 20);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    kubeConfig.loadFromOptions({
      clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "fake" }],
      contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
      currentContext: "fake",
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const metric = (name: string, groups: string[]): AuthorizationRequest => ({
    user: { name, groups, extra: {} },
    verb: "list",
    resource: { group: "external.metrics.k8s.io", version: "v1beta1", namespace: "ns", resource: "s0-x" },
  });

  it("asks with the forwarded user and the metric as the resource, and caches the answer", async () => {
    reviews.length = 0;
    let now = 0;
    const authorize = createSubjectAccessReviewAuthorizer(kubeConfig, {
      now: () => now,
      allowTtlMs: 1000,
      denyTtlMs: 500,
    });
    const [first, second] = await Promise.all([
      authorize(metric("admin", ["system:masters"])),
      authorize(metric("admin", ["system:masters"])),
    ]);
    expect([first, second]).toEqual([true, true]);
    expect(reviews).toHaveLength(1); // parallel asks share one review
    expect(reviews[0]?.spec).toMatchObject({
      user: "admin",
      groups: ["system:masters"],
      resourceAttributes: {
        verb: "list",
        group: "external.metrics.k8s.io",
        version: "v1beta1",
        namespace: "ns",
        resource: "s0-x",
      },
    });
    expect(authorize(metric("admin", ["system:masters"]))).toBe(true); // cached: answered synchronously
    expect(reviews).toHaveLength(1);

    expect(await authorize(metric("nobody", ["system:authenticated"]))).toBe(false);
    expect(authorize(metric("nobody", ["system:authenticated"]))).toBe(false);
    expect(reviews).toHaveLength(2);

    now = 600; // the deny expired, the allow did not
    expect(await authorize(metric("nobody", ["system:authenticated"]))).toBe(false);
    expect(authorize(metric("admin", ["system:masters"]))).toBe(true);
    expect(reviews).toHaveLength(3);
  });

  it("allows discovery without a review and reviews other paths as non-resource requests", async () => {
    reviews.length = 0;
    const authorize = createSubjectAccessReviewAuthorizer(kubeConfig);
    const user = { name: "nobody", groups: [], extra: {} };
    expect(authorize({ user, verb: "get", path: "/apis/external.metrics.k8s.io/v1beta1" })).toBe(true);
    expect(await authorize({ user, verb: "get", path: "/openapi/v2" })).toBe(false);
    expect(reviews[0]?.spec.nonResourceAttributes).toEqual({ verb: "get", path: "/openapi/v2" });
  });
});
