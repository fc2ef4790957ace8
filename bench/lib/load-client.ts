/** The parent's handle on a load generator process (bench/lib/load-generator.ts). */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { forkTracked, stopChild } from "./children.ts";
import type { LoadJob, LoadResult } from "./load-generator.ts";

export type { LoadJob, LoadResult };

export class LoadClient {
  readonly #child: ChildProcess;
  #nextId = 0;
  readonly #pending = new Map<
    number,
    { resolve: (result: LoadResult) => void; reject: (error: Error) => void }
  >();

  constructor() {
    this.#child = forkTracked(fileURLToPath(new URL("./load-generator.ts", import.meta.url)));
    this.#child.on(
      "message",
      (message: { type: string; id: number; result?: LoadResult; error?: string }) => {
        const waiter = this.#pending.get(message.id);
        if (!waiter) return;
        this.#pending.delete(message.id);
        if (message.type === "result") waiter.resolve(message.result as LoadResult);
        else waiter.reject(new Error(message.error));
      },
    );
    this.#child.on("exit", (code) => {
      for (const waiter of this.#pending.values())
        waiter.reject(new Error(`load generator exited with ${code}`));
      this.#pending.clear();
    });
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  run(job: LoadJob): Promise<LoadResult> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ type: "run", id, job });
    });
  }

  async close(): Promise<void> {
    this.#child.disconnect();
    await stopChild(this.#child, 2_000);
  }
}
