/** Something that happened to an object, in the shape of a Kubernetes Event. */
export interface RuntimeEvent {
  at: string;
  kind: string;
  namespace: string;
  name: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

/** Where runtimes report events: kept in memory for the status API, or sent to Kubernetes. */
export interface EventRecorder {
  record(object: ObjectRef, type: "Normal" | "Warning", reason: string, message: string): void;
}

/** Events kept across all objects (the dashboard's feed). */
const LATEST = 50;

/** Keeps the latest events of each object and tells listeners (the logger, the live view). */
export class EventLog implements EventRecorder {
  readonly #byObject = new Map<string, RuntimeEvent[]>();
  /** The latest events of all objects together. */
  readonly #latest: RuntimeEvent[] = [];
  readonly #listeners: ((event: RuntimeEvent) => void)[] = [];
  readonly #perObject: number;
  readonly #now: () => Date;

  constructor(options: { perObject?: number; now?: () => Date } = {}) {
    this.#perObject = options.perObject ?? 50;
    this.#now = options.now ?? (() => new Date());
  }

  record(object: ObjectRef, type: "Normal" | "Warning", reason: string, message: string): void {
    const event: RuntimeEvent = { at: this.#now().toISOString(), ...object, type, reason, message };
    const key = `${object.kind}/${object.namespace}/${object.name}`;
    const events = this.#byObject.get(key) ?? [];
    events.push(event);
    if (events.length > this.#perObject) events.shift();
    this.#byObject.set(key, events);
    this.#latest.push(event);
    if (this.#latest.length > LATEST) this.#latest.shift();
    for (const listener of this.#listeners) listener(event);
  }

  recent(object: ObjectRef): RuntimeEvent[] {
    return [...(this.#byObject.get(`${object.kind}/${object.namespace}/${object.name}`) ?? [])];
  }

  /** The latest events of all objects, oldest first. */
  latest(): RuntimeEvent[] {
    return [...this.#latest];
  }

  forget(object: ObjectRef): void {
    this.#byObject.delete(`${object.kind}/${object.namespace}/${object.name}`);
  }

  onEvent(listener: (event: RuntimeEvent) => void): void {
    this.#listeners.push(listener);
  }
}
