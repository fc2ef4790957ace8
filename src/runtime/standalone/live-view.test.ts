import { describe, expect, it } from "vitest";
import { renderLiveView } from "./live-view.ts";

describe("renderLiveView", () => {
  it("shows a failing worker's last stderr lines under the table", () => {
    const screen = renderLiveView([], [], [], "tidal run", false, [
      {
        name: "worker",
        workers: [
          { index: 0, state: "ready", restarts: 0 },
          {
            index: 1,
            state: "backoff",
            restarts: 4,
            lastStderr: [
              "",
              "Error: Cannot find package 'pg'",
              "    at load (file:///w.js:1:1)",
              "Node.js v24.21.0",
            ],
          },
        ],
      },
    ]);
    expect(screen).toContain(
      "failing workers (tidal logs POOL for all output)\nProcessPool/worker worker 1 (restarted 4×), last stderr:\n  Error: Cannot find package 'pg'\n",
    );
    expect(screen).not.toContain("worker 0 (");
    expect(renderLiveView([], [], [], "tidal run", false, [])).not.toContain("failing workers");
  });
});
