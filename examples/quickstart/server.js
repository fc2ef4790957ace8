// A tiny web app: Tidal starts it on $PORT when the first request arrives, and stops it when idle.
import { createServer } from "node:http";

const worker = process.env.TIDAL_WORKER_INDEX ?? "0";
const server = createServer((request, response) => {
  response.writeHead(200, { "content-type": "text/plain" });
  response.end(`hello from worker ${worker} (${request.method} ${request.url})\n`);
});
server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
