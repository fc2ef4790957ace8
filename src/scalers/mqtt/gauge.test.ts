import { describe, expect, it } from "vitest";
import { BacklogGauge, topicFilterProblem, topicMatches } from "./gauge.ts";

describe("topicMatches", () => {
  it("matches names, + for one level and # for the rest", () => {
    expect(topicMatches("jobs/backlog", "jobs/backlog")).toBe(true);
    expect(topicMatches("jobs/backlog", "jobs/backlog/eu")).toBe(false);
    expect(topicMatches("jobs/+/backlog", "jobs/eu/backlog")).toBe(true);
    expect(topicMatches("jobs/+/backlog", "jobs/eu/west/backlog")).toBe(false);
    expect(topicMatches("jobs/#", "jobs/eu/west/backlog")).toBe(true);
    expect(topicMatches("jobs/#", "jobs")).toBe(true);
    expect(topicMatches("#", "anything/at/all")).toBe(true);
  });

  it("keeps $ topics out of leading wildcards", () => {
    expect(topicMatches("#", "$SYS/broker/uptime")).toBe(false);
    expect(topicMatches("+/broker/uptime", "$SYS/broker/uptime")).toBe(false);
    expect(topicMatches("$SYS/#", "$SYS/broker/uptime")).toBe(true);
  });
});

describe("topicFilterProblem", () => {
  it("accepts names and well-placed wildcards", () => {
    for (const filter of ["jobs/backlog", "jobs/+/backlog", "jobs/#", "#", "+"])
      expect(topicFilterProblem(filter)).toBeUndefined();
  });

  it("explains misplaced wildcards, empty topics and shared subscriptions", () => {
    expect(topicFilterProblem("")).toBe("topic must not be empty");
    expect(topicFilterProblem("jobs/#/eu")).toBe('"#" must be the whole last level of the topic');
    expect(topicFilterProblem("jobs#")).toBe('"#" must be the whole last level of the topic');
    expect(topicFilterProblem("jobs/eu+")).toBe('"+" must be a whole level of the topic');
    expect(topicFilterProblem("$share/group/jobs")).toMatch(/^shared subscriptions/);
  });
});

describe("BacklogGauge", () => {
  it("reports the latest value per topic, summed", () => {
    const gauge = new BacklogGauge("jobs/+");
    gauge.update("jobs/eu", "5");
    gauge.update("jobs/us", " 7\n");
    gauge.update("jobs/eu", "3");
    expect(gauge.total()).toBe(10);
  });

  it("forgets a topic whose retained message was cleared", () => {
    const gauge = new BacklogGauge("jobs/+");
    gauge.update("jobs/eu", "5");
    gauge.update("jobs/us", "7");
    gauge.update("jobs/us", "");
    expect(gauge.total()).toBe(5);
  });

  it("forgets everything on clear, as after a reconnect", () => {
    const gauge = new BacklogGauge("jobs/backlog");
    gauge.update("jobs/backlog", "5");
    gauge.clear();
    expect(() => gauge.total()).toThrow(/^no backlog value has been published/);
  });

  it("says when nothing was published, or a payload is not a number", () => {
    const gauge = new BacklogGauge("jobs/backlog");
    expect(() => gauge.total()).toThrow(
      'no backlog value has been published to "jobs/backlog" (publish the number as a retained message)',
    );
    gauge.update("jobs/backlog", "lots");
    expect(() => gauge.total()).toThrow('topic "jobs/backlog" carries "lots", not a number');
    gauge.update("jobs/backlog", "4.5");
    expect(gauge.total()).toBe(4.5);
  });
});
