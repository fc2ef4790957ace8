import amqp from "amqplib";
import { beforeAll, describe, expect, it } from "vitest";
import { exampleVariant } from "../../test/support/example-copy.ts";
import { eventually, rabbitmqQueue, useCleanup } from "../../test/support/isolation.ts";
import { services, useServices } from "../../test/support/services.ts";
import { TidalRun } from "../../test/support/tidal-run.ts";

beforeAll(() => useServices("rabbitmq"));

describe("examples/rabbitmq-jobs", () => {
  const cleanup = useCleanup();

  it("drains a RabbitMQ queue with one job process per batch of 10 messages", async () => {
    const queue = await rabbitmqQueue(cleanup, "tasks", { durable: true });
    const connection = await amqp.connect(services.rabbitmqUrl);
    const channel = await connection.createChannel();
    for (let index = 0; index < 35; index += 1) channel.sendToQueue(queue, Buffer.from(`task ${index}`));
    await channel.close();
    await connection.close();
    const variant = exampleVariant("rabbitmq-jobs", {
      "value: tasks": `value: ${queue}`,
      "queueName: tasks": `queueName: ${queue}`,
    });
    cleanup.add(variant.remove);
    const run = await TidalRun.start([variant.file]);
    cleanup.add(() => run.stop());

    // 35 messages / 10 per job → ceil(3.5) = 4 jobs in the first poll.
    const created = await eventually(
      "jobs created",
      () => run.logs.find((line) => line.reason === "KEDAJobsCreated"),
      { timeoutMs: 20_000 },
    );
    expect(created.msg).toBe("Created 4 jobs");
    const handled = await eventually(
      "every message handled",
      () => {
        const counts = run.logs.map((line) => Number(/handled (\d+) messages/.exec(line.msg)?.[1] ?? 0));
        const total = counts.reduce((sum, count) => sum + count, 0);
        return total === 35 && total;
      },
      { timeoutMs: 30_000 },
    );
    expect(handled).toBe(35);
    await eventually(
      "4 completed jobs",
      () => run.logs.filter((line) => line.reason === "Completed").length === 4,
    );
    await eventually(
      "the ScaledJob inactive again",
      async () => (await run.object("rabbitmq-jobs", "scaledjobs")).active === false,
    );
  });
});
