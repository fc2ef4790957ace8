/**
 * The backlog gauge behind the `mqtt` scaler: the latest number published on each topic that
 * matches a topic filter, summed. Pure; the broker connection feeds it.
 */

/** Why a topic filter cannot be used, or undefined. MQTT 3.1.1 section 4.7 rules, plus no shared subscriptions. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter === "") return "topic must not be empty";
  if (filter.startsWith("$share/"))
    return "shared subscriptions ($share/…) do not receive retained messages; use a plain topic";
  const levels = filter.split("/");
  for (const [index, level] of levels.entries()) {
    if (level.includes("#") && (level !== "#" || index !== levels.length - 1))
      return '"#" must be the whole last level of the topic';
    if (level.includes("+") && level !== "+") return '"+" must be a whole level of the topic';
  }
  return undefined;
}

/** Whether `topic` matches the MQTT topic `filter` (`+` one level, `#` the rest, `$` topics only by name). */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split("/");
  const topicLevels = topic.split("/");
  if (topic.startsWith("$") && (filterLevels[0] === "+" || filterLevels[0] === "#")) return false;
  for (const [index, level] of filterLevels.entries()) {
    if (level === "#") return true;
    if (index >= topicLevels.length || (level !== "+" && level !== topicLevels[index])) return false;
  }
  return filterLevels.length === topicLevels.length;
}

export class BacklogGauge {
  readonly #filter: string;
  /** Latest value per topic; a string is the payload that was not a number. */
  readonly #values = new Map<string, number | string>();

  constructor(filter: string) {
    this.#filter = filter;
  }

  /** Records a message: a number sets the topic's value, an empty payload (a cleared retained message) removes it. */
  update(topic: string, payload: string): void {
    const text = payload.trim();
    if (text === "") {
      this.#values.delete(topic);
      return;
    }
    const value = Number(text);
    this.#values.set(topic, Number.isFinite(value) ? value : payload);
  }

  clear(): void {
    this.#values.clear();
  }

  /** The sum over matching topics; throws when nothing was published or a payload is not a number. */
  total(): number {
    if (this.#values.size === 0) {
      throw new Error(
        `no backlog value has been published to "${this.#filter}" (publish the number as a retained message)`,
      );
    }
    let sum = 0;
    for (const [topic, value] of this.#values) {
      if (typeof value === "string") {
        const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
        throw new Error(`topic "${topic}" carries ${shown}, not a number`);
      }
      sum += value;
    }
    return sum;
  }
}
