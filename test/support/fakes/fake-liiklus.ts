/**
 * fake-liiklus: a loopback gRPC server implementing the offset queries of Liiklus's documented
 * LiiklusService (the service in src/scalers/liiklus/liiklus.proto, served with @grpc/grpc-js):
 * GetEndOffsets answers a topic's end offset per partition, GetOffsets a consumer group's committed
 * offsets (a group that never committed has none); an unknown topic is NOT_FOUND.
 */
import * as grpc from "@grpc/grpc-js";
import { liiklusService } from "../../../src/scalers/liiklus/liiklus.ts";

export class FakeLiiklus {
  /** Topic → partition → end offset. */
  readonly endOffsets = new Map<string, Record<number, number>>();
  /** `<topic>/<group>/<version>` → partition → committed offset. */
  readonly groupOffsets = new Map<string, Record<number, number>>();
  readonly calls: { method: string; request: Record<string, unknown> }[] = [];
  readonly #server: grpc.Server;
  readonly address: string;

  private constructor(server: grpc.Server, address: string) {
    this.#server = server;
    this.address = address;
  }

  static async start(): Promise<FakeLiiklus> {
    const { Client } = await liiklusService();
    const server = new grpc.Server();
    const holder: { fake?: FakeLiiklus } = {};
    const topicOf = (request: { topic?: string }) => holder.fake?.endOffsets.get(request.topic ?? "");
    const notFound = (topic: string) => ({
      code: grpc.status.NOT_FOUND,
      details: `topic "${topic}" does not exist`,
    });
    server.addService(Client.service, {
      GetEndOffsets(
        call: grpc.ServerUnaryCall<{ topic: string }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) {
        holder.fake?.calls.push({ method: "GetEndOffsets", request: { ...call.request } });
        const offsets = topicOf(call.request);
        if (!offsets) callback(notFound(call.request.topic));
        else callback(null, { offsets });
      },
      GetOffsets(
        call: grpc.ServerUnaryCall<{ topic: string; group: string; groupVersion: number }, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) {
        holder.fake?.calls.push({ method: "GetOffsets", request: { ...call.request } });
        const { topic, group, groupVersion } = call.request;
        if (!topicOf(call.request)) {
          callback(notFound(topic));
          return;
        }
        callback(null, { offsets: holder.fake?.groupOffsets.get(`${topic}/${group}/${groupVersion}`) ?? {} });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    holder.fake = new FakeLiiklus(server, `127.0.0.1:${port}`);
    return holder.fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()));
  }
}
