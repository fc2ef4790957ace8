import { describe, expect, it } from "vitest";
import { kubernetesTime } from "./scaled-object-status.ts";

describe("kubernetesTime", () => {
  it("writes whole seconds, as metav1.Time and KEDA's lastActiveTime do", () => {
    expect(kubernetesTime(Date.parse("2026-12-03T21:05:11.987Z"))).toBe("2026-12-03T21:05:11Z");
    expect(kubernetesTime(Date.parse("2026-12-03T21:05:11Z"))).toBe("2026-12-03T21:05:11Z");
  });
});
