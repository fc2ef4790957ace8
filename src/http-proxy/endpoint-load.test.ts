import { describe, expect, it } from "vitest";
import { EndpointLoad } from "./endpoint-load.ts";

const a = { host: "127.0.0.1", port: 1001 };
const b = { host: "127.0.0.1", port: 1002 };
const c = { host: "127.0.0.2", port: 1001 };

describe("EndpointLoad", () => {
  it("rotates through idle endpoints by the start index", () => {
    const load = new EndpointLoad();
    expect([0, 1, 2, 3].map((start) => load.pick([a, b, c], start))).toEqual([a, b, c, a]);
  });

  it("picks the endpoint with the fewest requests in flight", () => {
    const load = new EndpointLoad();
    load.acquire(a);
    load.acquire(a);
    load.acquire(b);
    expect(load.pick([a, b, c], 0)).toBe(c);
    load.acquire(c);
    load.acquire(c);
    expect(load.pick([a, b, c], 0)).toBe(b);
  });

  it("counts back down and forgets idle endpoints", () => {
    const load = new EndpointLoad();
    load.acquire(a);
    load.acquire(a);
    load.release(a);
    expect(load.inFlight(a)).toBe(1);
    load.release(a);
    load.release(a);
    expect(load.inFlight(a)).toBe(0);
    expect(load.pick([a, b], 0)).toBe(a);
  });

  it("skips the excluded endpoint and returns nothing when none is left", () => {
    const load = new EndpointLoad();
    expect(load.pick([a, b], 0, { ...a })).toBe(b);
    expect(load.pick([a], 0, a)).toBeUndefined();
    expect(load.pick([], 0)).toBeUndefined();
  });
});
