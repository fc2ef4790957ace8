import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { throttle } from "./throttle.ts";

describe("throttle", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("calls at once, then delays (never drops) calls inside the interval and merges them", () => {
    const wake = vi.fn();
    const wakes = throttle(wake, 100);
    wakes.call();
    expect(wake).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(30);
    wakes.call();
    wakes.call();
    expect(wake).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(69);
    expect(wake).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(wake).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(100);
    wakes.call();
    expect(wake).toHaveBeenCalledTimes(3);
  });

  it("cancel stops a delayed call", () => {
    const wake = vi.fn();
    const wakes = throttle(wake, 100);
    wakes.call();
    wakes.call();
    wakes.cancel();
    vi.advanceTimersByTime(500);
    expect(wake).toHaveBeenCalledTimes(1);
  });
});
