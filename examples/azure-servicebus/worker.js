// A worker that does what the article's Azure Function does: receives the queue's messages and
// completes each one after "working" on it. Set RECEIVE_MESSAGES=false to run it as an idle
// placeholder (the tests do: their fake Service Bus serves only the management API).
const connection = process.env.SB_CONN_STRING ?? "";
const queue = process.env.QUEUE_NAME ?? "my-queue";
const workMs = Number(process.env.WORK_MS ?? 200);
const worker = process.env.TIDAL_WORKER_INDEX;
let stopping = false;

if (process.env.RECEIVE_MESSAGES === "false") {
  console.log(`worker ${worker} started (not receiving)`);
  process.on("SIGTERM", () => process.exit(0));
  setInterval(() => {}, 60_000);
} else {
  const { ServiceBusClient } = await import("@azure/service-bus");
  const client = new ServiceBusClient(connection);
  const receiver = client.createReceiver(queue);
  const subscription = receiver.subscribe(
    {
      async processMessage(message) {
        await new Promise((resolve) => setTimeout(resolve, workMs));
        console.log(`worker ${worker} done: ${message.messageId}`);
      },
      async processError({ error }) {
        console.error(`worker ${worker}: ${error.message}`);
      },
    },
    { maxConcurrentCalls: 1 },
  );
  console.log(`worker ${worker} receiving from ${queue}`);
  process.on("SIGTERM", async () => {
    if (stopping) return;
    stopping = true;
    await subscription.close();
    await client.close();
    process.exit(0);
  });
}
