// A worker that drains the Redis list "jobs": pops one item at a time and "works" on it.
import { Redis } from "ioredis";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const list = process.env.LIST_NAME ?? "jobs";
const workMs = Number(process.env.WORK_MS ?? 200);
let stopping = false;

process.on("SIGTERM", () => {
  stopping = true;
});

while (!stopping) {
  const item = await redis.blpop(list, 1);
  if (item === null) continue;
  await new Promise((resolve) => setTimeout(resolve, workMs));
  console.log(`worker ${process.env.TIDAL_WORKER_INDEX} done: ${item[1]}`);
}
redis.disconnect();
