// One job: take up to BATCH_SIZE messages from the queue, handle them, acknowledge, exit.
import amqp from "amqplib";

const url = process.env.RABBITMQ_URL ?? "amqp://tidal:tidal@127.0.0.1:5672/";
const queue = process.env.QUEUE_NAME ?? "tasks";
const batchSize = Number(process.env.BATCH_SIZE ?? 10);

const connection = await amqp.connect(url);
const channel = await connection.createChannel();
await channel.assertQueue(queue, { durable: true });
let handled = 0;
while (handled < batchSize) {
  const message = await channel.get(queue, { noAck: false });
  if (message === false) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
  channel.ack(message);
  handled += 1;
}
console.log(`${process.env.TIDAL_JOB_NAME}: handled ${handled} messages`);
await channel.close();
await connection.close();
