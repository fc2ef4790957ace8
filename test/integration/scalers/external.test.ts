import * as grpc from "@grpc/grpc-js";
import { generate } from "selfsigned";
import { describe, expect, it } from "vitest";
import { ConnectionPool } from "../../../src/scalers/connection-pool.ts";
import {
  externalScalerService,
  type GetMetricSpecResponse,
  type GetMetricsRequest,
  type GetMetricsResponse,
  type IsActiveResponse,
  type MetricSpec,
  type MetricValue,
  type ScaledObjectRef,
} from "../../../src/scalers/external/client.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { closedPort } from "./http-test-server.ts";

/** What the test's external scaler answers, and what it was asked. */
interface ScalerState {
  specs: MetricSpec[];
  values: MetricValue[];
  active: boolean;
  metricsError?: { code: grpc.status; details: string };
  calls: { rpc: string; request: ScaledObjectRef | GetMetricsRequest }[];
  streams: grpc.ServerWritableStream<ScaledObjectRef, IsActiveResponse>[];
  cancelledStreams: number;
}

function scalerState(change: Partial<ScalerState> = {}): ScalerState {
  return {
    specs: [{ metricName: "queue-depth", targetSize: 5, targetSizeFloat: 0 }],
    values: [{ metricName: "queue-depth", metricValue: 12, metricValueFloat: 0 }],
    active: true,
    calls: [],
    streams: [],
    cancelledStreams: 0,
    ...change,
  };
}

/** A real gRPC server implementing KEDA's external scaler contract, on 127.0.0.1, stopped by the cleanup. */
async function startExternalScaler(
  cleanup: Cleanup,
  state: ScalerState,
  credentials = grpc.ServerCredentials.createInsecure(),
): Promise<string> {
  const server = new grpc.Server();
  const implementation: grpc.UntypedServiceImplementation = {
    IsActive: ((call, callback) => {
      state.calls.push({ rpc: "IsActive", request: call.request });
      callback(null, { result: state.active });
    }) satisfies grpc.handleUnaryCall<ScaledObjectRef, IsActiveResponse>,
    GetMetricSpec: ((call, callback) => {
      state.calls.push({ rpc: "GetMetricSpec", request: call.request });
      callback(null, { metricSpecs: state.specs });
    }) satisfies grpc.handleUnaryCall<ScaledObjectRef, GetMetricSpecResponse>,
    GetMetrics: ((call, callback) => {
      state.calls.push({ rpc: "GetMetrics", request: call.request });
      if (state.metricsError) callback(state.metricsError);
      else callback(null, { metricValues: state.values });
    }) satisfies grpc.handleUnaryCall<GetMetricsRequest, GetMetricsResponse>,
    StreamIsActive: ((call) => {
      state.streams.push(call);
      call.on("cancelled", () => (state.cancelledStreams += 1));
    }) satisfies grpc.handleServerStreamingCall<ScaledObjectRef, IsActiveResponse>,
  };
  server.addService((await externalScalerService()).definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  cleanup.add(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

function measurer(
  cleanup: Cleanup,
  type: string,
  metadata: Record<string, string>,
  extra: Partial<TriggerUnderTest> = {},
) {
  const trigger = connectTestTrigger({ type, metadata, ...extra });
  cleanup.add(() => trigger.close());
  return trigger;
}

describe("external scaler over gRPC", () => {
  const cleanup = useCleanup();

  it("takes the metric name and target from GetMetricSpec", async () => {
    const address = await startExternalScaler(cleanup, scalerState());
    const trigger = measurer(cleanup, "external", { scalerAddress: address }, { index: 2 });
    expect(trigger.prepared.metricSpec?.metricName).toBe("s2-external");
    expect(await trigger.describe()).toMatchObject({
      metricName: "s2-queue-depth",
      target: 5,
      activationTarget: 0,
    });
  });

  it("prefers targetSizeFloat and metricValueFloat when they are greater than 0", async () => {
    const address = await startExternalScaler(
      cleanup,
      scalerState({
        specs: [{ metricName: "lag", targetSize: 9, targetSizeFloat: 2.5 }],
        values: [{ metricName: "lag", metricValue: 9, metricValueFloat: 3.25 }],
      }),
    );
    const trigger = measurer(cleanup, "external", { scalerAddress: address });
    expect(await trigger.describe()).toMatchObject({ metricName: "s0-lag", target: 2.5 });
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-lag", value: 3.25 });
  });

  it("asks GetMetrics for the metric without prefix, then IsActive, with the trigger's resolved metadata", async () => {
    const state = scalerState({ active: false });
    const address = await startExternalScaler(cleanup, state);
    const trigger = measurer(
      cleanup,
      "external",
      { scalerAddress: address, queue: "orders", hostFromEnv: "QUEUE_HOST" },
      { resolvedEnv: { QUEUE_HOST: "queue.internal" } },
    );
    // Measuring before describe() asks GetMetricSpec first.
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-queue-depth", value: 12, active: false });
    expect(state.calls.map((call) => call.rpc)).toEqual(["GetMetricSpec", "GetMetrics", "IsActive"]);
    const ref = {
      name: "test",
      namespace: "default",
      scalerMetadata: { scalerAddress: address, queue: "orders", hostFromEnv: "queue.internal" },
    };
    expect(state.calls[1]?.request).toEqual({ scaledObjectRef: ref, metricName: "queue-depth" });
    expect(state.calls[2]?.request).toEqual(ref);

    state.active = true;
    state.values = [{ metricName: "queue-depth", metricValue: 0, metricValueFloat: 0 }];
    expect(await trigger.measure()).toMatchObject({ value: 0, active: true });
  });

  it("sums several values, as the HPA does", async () => {
    const values = [
      { metricName: "queue-depth", metricValue: 2, metricValueFloat: 0 },
      { metricName: "queue-depth", metricValue: 0, metricValueFloat: 1.5 },
    ];
    const address = await startExternalScaler(cleanup, scalerState({ values }));
    expect(await measurer(cleanup, "external", { scalerAddress: address }).measure()).toMatchObject({
      value: 3.5,
    });
  });

  it("reports the scaler's errors, empty answers and a scaler that is down", async () => {
    const failing = await startExternalScaler(
      cleanup,
      scalerState({ metricsError: { code: grpc.status.NOT_FOUND, details: "no queue named orders" } }),
    );
    expect((await measurer(cleanup, "external", { scalerAddress: failing }).measure()).error).toBe(
      `GetMetrics on external scaler ${failing} failed: NOT_FOUND: no queue named orders`,
    );
    const empty = await startExternalScaler(cleanup, scalerState({ specs: [], values: [] }));
    await expect(measurer(cleanup, "external", { scalerAddress: empty }).describe()).rejects.toThrow(
      `GetMetricSpec on external scaler ${empty} returned no metric specs`,
    );
    const down = `127.0.0.1:${await closedPort()}`;
    const trigger = measurer(cleanup, "external", { scalerAddress: down });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(`^GetMetricSpec on external scaler ${down} failed: UNAVAILABLE: .*ECONNREFUSED`),
    );
    await expect(trigger.describe()).rejects.toThrow(/UNAVAILABLE/);
  });

  it("shares one channel between triggers that reach the same scaler", async () => {
    const address = await startExternalScaler(cleanup, scalerState());
    const pool = new ConnectionPool();
    const first = measurer(cleanup, "external", { scalerAddress: address, queue: "a" }, { pool });
    const second = measurer(cleanup, "external-push", { scalerAddress: address, queue: "b" }, { pool });
    expect(await first.measure()).toMatchObject({ value: 12 });
    expect(await second.measure()).toMatchObject({ value: 12 });
    expect(pool.size).toBe(1);
    await first.close();
    await second.close();
    expect(pool.size).toBe(0);
  });

  it("connects with TLS, trusting the given CA or none with unsafeSsl", async () => {
    const pems = await generate([{ name: "commonName", value: "localhost" }], {
      keyType: "ec",
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    const credentials = grpc.ServerCredentials.createSsl(
      null,
      [{ private_key: Buffer.from(pems.private), cert_chain: Buffer.from(pems.cert) }],
      false,
    );
    const address = await startExternalScaler(cleanup, scalerState(), credentials);
    const trusted = measurer(
      cleanup,
      "external",
      { scalerAddress: address },
      { authParams: { caCert: pems.cert } },
    );
    expect(await trusted.measure()).toMatchObject({ value: 12 });
    const unsafe = measurer(cleanup, "external", {
      scalerAddress: address,
      enableTLS: "true",
      unsafeSsl: "true",
    });
    expect(await unsafe.measure()).toMatchObject({ value: 12 });
    const untrusted = measurer(cleanup, "external", { scalerAddress: address, enableTLS: "true" });
    expect((await untrusted.measure()).error).toMatch(
      /^GetMetricSpec on external scaler .* failed: UNAVAILABLE/,
    );
  });
});

describe("external-push activity stream", () => {
  const cleanup = useCleanup();

  it("wakes on every true, ignores false, and stops cleanly", async () => {
    const state = scalerState();
    const address = await startExternalScaler(cleanup, state);
    const trigger = measurer(cleanup, "external-push", { scalerAddress: address, queue: "orders" });
    let wakes = 0;
    const errors: Error[] = [];
    const stop = trigger.scaler.watch?.(
      () => (wakes += 1),
      (error) => errors.push(error),
    );
    expect(stop).toBeTypeOf("function");
    cleanup.add(() => stop?.());

    const stream = await eventually("the stream to open", () => state.streams[0]);
    expect(stream.request.scalerMetadata).toMatchObject({ queue: "orders" });
    stream.write({ result: false });
    stream.write({ result: true });
    await eventually("one wake-up", () => wakes === 1);
    stream.write({ result: false });
    stream.write({ result: true });
    await eventually("a second wake-up", () => wakes === 2);

    stop?.();
    await eventually("the server to see the stream cancelled", () => state.cancelledStreams === 1);
    expect(wakes).toBe(2);
    expect(errors).toEqual([]);
  });

  it("reconnects after the scaler ends the stream", async () => {
    const state = scalerState();
    const address = await startExternalScaler(cleanup, state);
    const trigger = measurer(cleanup, "external-push", { scalerAddress: address });
    let wakes = 0;
    const stop = trigger.scaler.watch?.(
      () => (wakes += 1),
      () => undefined,
    );
    cleanup.add(() => stop?.());

    const first = await eventually("the stream to open", () => state.streams[0]);
    first.end();
    // KEDA's backoff: the next attempt comes 2 s later.
    const second = await eventually("a new stream", () => state.streams[1], { timeoutMs: 10_000 });
    second.write({ result: true });
    await eventually("a wake-up on the new stream", () => wakes === 1);
  });

  it("reports a scaler that is down and keeps trying", async () => {
    const down = `127.0.0.1:${await closedPort()}`;
    const trigger = measurer(cleanup, "external-push", { scalerAddress: down });
    const errors: Error[] = [];
    const stop = trigger.scaler.watch?.(
      () => undefined,
      (error) => errors.push(error),
    );
    cleanup.add(() => stop?.());
    const [error] = await eventually("an error", () => (errors.length > 0 ? errors : undefined));
    expect(error?.message).toMatch(
      new RegExp(`^StreamIsActive on external scaler ${down} failed: UNAVAILABLE`),
    );
  });

  it("is not offered by the polling external trigger", async () => {
    const address = await startExternalScaler(cleanup, scalerState());
    expect(measurer(cleanup, "external", { scalerAddress: address }).scaler.watch).toBeUndefined();
  });
});
