import { describe, expect, it } from "vitest";
import { jobSpec } from "../../api/schema/scaled-job.ts";
import { readJobTemplate } from "./job-template.ts";

const containers = [
  {
    name: "consumer",
    image: "ignored:latest",
    command: ["node", "consume.js"],
    args: ["--once"],
    workingDir: "jobs",
    env: [
      { name: "QUEUE", value: "orders" },
      { name: "MODE", value: "literal" },
      { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
    ],
  },
];

function read(job: object, { pod = {}, env = {} }: { pod?: object; env?: Record<string, string> } = {}) {
  return readJobTemplate(
    jobSpec.parse({ ...job, template: { spec: { containers, ...pod } } }),
    "/manifests",
    env,
  );
}

describe("readJobTemplate", () => {
  it("runs containers[0]'s command and args in workingDir, with literal env under the resolved env", () => {
    expect(read({}, { env: { MODE: "resolved", PASSWORD: "secret" } }).launch).toEqual({
      argv: ["node", "consume.js", "--once"],
      cwd: "/manifests/jobs",
      env: { QUEUE: "orders", MODE: "resolved", PASSWORD: "secret" },
    });
  });

  it.each([
    [{}, 1, 1],
    [{ parallelism: 3 }, 3, undefined],
    [{ completions: 4 }, 1, 4],
    [{ parallelism: 2, completions: 5 }, 2, 5],
  ])(
    "defaults %j to parallelism %j and completions %j as Kubernetes does",
    (fields, parallelism, completions) => {
      expect(read(fields)).toMatchObject({ parallelism, completions });
    },
  );

  it("defaults backoffLimit to 6, no deadline and a 30 s grace period", () => {
    expect(read({})).toMatchObject({ backoffLimit: 6, activeDeadlineMs: undefined, graceMs: 30_000 });
    expect(
      read({ backoffLimit: 0, activeDeadlineSeconds: 5 }, { pod: { terminationGracePeriodSeconds: 2 } }),
    ).toMatchObject({ backoffLimit: 0, activeDeadlineMs: 5_000, graceMs: 2_000 });
  });

  it("requires a command, since the image is not run", () => {
    const spec = jobSpec.parse({ template: { spec: { containers: [{ name: "c", image: "busybox" }] } } });
    expect(() => readJobTemplate(spec, "/manifests", {})).toThrow(/containers\[0\]\.command is required/);
  });
});
