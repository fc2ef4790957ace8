import { randomBytes } from "node:crypto";
import { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, watchPushes, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("etcd"));

let etcd: Etcd3;
const endpoint = () => new URL(services.etcdEndpoint).host;
const credentials = () => ({ username: services.etcdUsername, password: services.etcdPassword });

beforeAll(() => {
  etcd = new Etcd3({ hosts: services.etcdEndpoint, auth: credentials() });
});
afterAll(() => etcd.close());

/**
 * A key name unique to this test. Not uniqueName's "tidal-…": the test credentials are tidal/tidal,
 * and errors mask credential values wherever they appear.
 */
function keyName(): string {
  return `/scaler-tests/${randomBytes(8).toString("hex")}`;
}

/** A key unique to this test holding `value`, deleted afterwards. */
async function key(cleanup: Cleanup, value: string): Promise<string> {
  const name = keyName();
  cleanup.add(() => etcd.delete().key(name));
  await etcd.put(name).value(value);
  return name;
}

function measurer(
  cleanup: Cleanup,
  trigger: Partial<TriggerUnderTest> & { metadata: Record<string, string> },
) {
  const connected: TriggerMeasurer = connectTestTrigger({
    type: "etcd",
    authParams: credentials(),
    ...trigger,
    metadata: { endpoints: endpoint(), value: "5", ...trigger.metadata },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("etcd scaler", () => {
  const cleanup = useCleanup();

  it("reads the key's number, active above activationValue", async () => {
    const name = await key(cleanup, "7.5");
    const trigger = measurer(cleanup, { metadata: { watchKey: name, activationValue: "7.5" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-etcd-${name.replaceAll("/", "-")}`,
      value: 7.5,
      active: false,
    });
    await etcd.put(name).value("8");
    expect(await trigger.measure()).toMatchObject({ value: 8, active: true });
  });

  it("takes the credentials from the target's environment", async () => {
    const name = await key(cleanup, "3");
    const trigger = measurer(cleanup, {
      metadata: { watchKey: name, usernameFromEnv: "ETCD_USER", passwordFromEnv: "ETCD_PASSWORD" },
      authParams: {},
      resolvedEnv: { ETCD_USER: services.etcdUsername, ETCD_PASSWORD: services.etcdPassword },
    });
    expect(await trigger.measure()).toMatchObject({ value: 3 });
  });

  it("wakes when the key changes (KEDA's push path)", async () => {
    const name = await key(cleanup, "1");
    const trigger = measurer(cleanup, { metadata: { watchKey: name } });
    const { wakes, errors } = watchPushes(cleanup, trigger);
    await eventually("a wake after a put", async () => {
      await etcd.put(name).value(String(Math.random()));
      return wakes() > 0;
    });
    expect(errors).toEqual([]);
  });

  it("names a missing key and a value that is not a number", async () => {
    const missing = keyName();
    expect((await measurer(cleanup, { metadata: { watchKey: missing } }).measure()).error).toBe(
      `watchKey ${missing} doesn't exist`,
    );
    const text = await key(cleanup, "lots");
    expect((await measurer(cleanup, { metadata: { watchKey: text } }).measure()).error).toBe(
      `the value of watchKey ${text} is not a number`,
    );
  });

  it("names wrong and missing credentials without showing the password", async () => {
    const name = await key(cleanup, "1");
    const wrong = `canary-${randomBytes(8).toString("hex")}`;
    const denied = measurer(cleanup, {
      metadata: { watchKey: name },
      authParams: { username: services.etcdUsername, password: wrong },
    });
    const sample = await denied.measure();
    expect(sample.error).toBe(
      `etcd at ${endpoint()}: etcdserver: authentication failed, invalid user ID or password`,
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
    const anonymous = measurer(cleanup, { metadata: { watchKey: name }, authParams: {} });
    expect((await anonymous.measure()).error).toBe(`etcd at ${endpoint()}: etcdserver: user name is empty`);
  });

  it("names a refused connection", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { endpoints: `127.0.0.1:${port}`, watchKey: "length" },
      timeoutMs: 2000,
    });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(`^etcd at 127\\.0\\.0\\.1:${port}: .*connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`),
    );
  });
});
