import { connect, type Socket } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("beanstalkd"));

/** A producer and worker connection speaking beanstalkd's protocol line by line. */
class Conversation {
  readonly #socket: Socket;
  #text = "";
  #waiting: (() => void) | undefined;

  constructor(cleanup: Cleanup) {
    const [host = "", port = ""] = services.beanstalkd.split(":");
    this.#socket = connect({ host, port: Number(port) });
    this.#socket.setEncoding("utf8");
    this.#socket.on("data", (chunk: string) => {
      this.#text += chunk;
      this.#waiting?.();
    });
    cleanup.add(() => this.#socket.destroy());
  }

  /** Sends a command (and a job body) and returns the first line of the answer. */
  async send(line: string, body?: string): Promise<string> {
    this.#socket.write(`${line}\r\n${body === undefined ? "" : `${body}\r\n`}`);
    return this.line();
  }

  /** The next line the server sent. */
  async line(): Promise<string> {
    while (!this.#text.includes("\r\n")) await new Promise<void>((resolve) => (this.#waiting = resolve));
    const end = this.#text.indexOf("\r\n");
    const answer = this.#text.slice(0, end);
    this.#text = this.#text.slice(end + 2);
    return answer;
  }

  async put(tube: string, count: number, delaySeconds = 0): Promise<void> {
    expect(await this.send(`use ${tube}`)).toBe(`USING ${tube}`);
    for (let index = 0; index < count; index += 1) {
      expect(await this.send(`put 100 ${delaySeconds} 120 3`, "job")).toMatch(/^INSERTED \d+$/);
    }
  }
}

function measurer(cleanup: Cleanup, metadata: Record<string, string>, timeoutMs?: number): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "beanstalkd",
    metadata: { server: services.beanstalkd, value: "5", ...metadata },
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("beanstalkd scaler", () => {
  const cleanup = useCleanup();

  it("counts ready and reserved jobs, active above activationValue", async () => {
    const tube = uniqueName("bs-ready");
    const producer = new Conversation(cleanup);
    await producer.put(tube, 3);
    const trigger = measurer(cleanup, { tube, activationValue: "3" });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-beanstalkd-${tube}`,
      value: 3,
      active: false,
    });

    const worker = new Conversation(cleanup);
    expect(await worker.send(`watch ${tube}`)).toMatch(/^WATCHING/);
    expect(await worker.send("reserve-with-timeout 0")).toMatch(/^RESERVED \d+ 3$/);
    await producer.put(tube, 1);
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("leaves delayed jobs out unless includeDelayed, and never counts buried ones", async () => {
    const tube = uniqueName("bs-delayed");
    const producer = new Conversation(cleanup);
    await producer.put(tube, 2);
    await producer.put(tube, 3, 600);
    const worker = new Conversation(cleanup);
    await worker.send(`watch ${tube}`);
    const reserved = await worker.send("reserve-with-timeout 0");
    const id = /^RESERVED (\d+)/.exec(reserved)?.[1];
    expect(await worker.line()).toBe("job"); // the reserved job's body
    expect(await worker.send(`bury ${id} 100`)).toBe("BURIED");

    expect(await measurer(cleanup, { tube }).measure()).toMatchObject({ value: 1 });
    expect(await measurer(cleanup, { tube, includeDelayed: "true" }).measure()).toMatchObject({ value: 4 });
  });

  it("reads a tube beanstalkd does not know as 0, inactive", async () => {
    expect(await measurer(cleanup, { tube: uniqueName("bs-none") }).measure()).toMatchObject({
      value: 0,
      active: false,
    });
  });

  it("reports beanstalkd's answer to a tube name it refuses", async () => {
    const sample = await measurer(cleanup, { tube: "-starts-with-a-hyphen" }).measure();
    expect(sample.error).toBe(`beanstalkd at ${services.beanstalkd} answered stats-tube with BAD_FORMAT`);
  });

  it("names a refused connection", async () => {
    const port = await closedPort();
    const trigger = connectTestTrigger({
      type: "beanstalkd",
      metadata: { server: `127.0.0.1:${port}`, tube: "jobs", value: "1", timeout: "2s" },
    });
    cleanup.add(() => trigger.close());
    expect((await trigger.measure()).error).toBe(
      `connection to beanstalkd at 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
