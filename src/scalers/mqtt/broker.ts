import { randomBytes } from "node:crypto";
import type { ConnectionOptions } from "node:tls";
import type { IClientOptions, MqttClient } from "mqtt";
import { messageOf } from "../../util/errors.ts";
import { topicMatches } from "./gauge.ts";

export interface TopicListener {
  message(topic: string, payload: string): void;
  /** The connection was lost and is back: forget what was received; the retained messages follow. */
  reset(): void;
}

interface Subscription {
  listeners: Set<TopicListener>;
  /** Settles when the broker has sent the retained messages of the latest SUBSCRIBE; undefined until one is sent. */
  synced: Promise<void> | undefined;
}

/**
 * One MQTT client shared by every trigger that uses the same broker and credentials. Each trigger
 * adds a listener for its topic filter. After every (re)connect, and for every new listener, the
 * filter is subscribed again, so the broker sends its retained messages again: the session stays
 * clean, and the retained messages are the state.
 */
export class BrokerConnection {
  readonly #client: MqttClient;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #barrierTopic: string;
  #connectionError: Error | undefined;

  constructor(client: MqttClient, clientId: string) {
    this.#client = client;
    this.#barrierTopic = `tidal/barrier/${clientId}`;
    client.on("error", (error) => {
      this.#connectionError = error;
    });
    client.on("connect", () => {
      this.#connectionError = undefined;
      for (const [filter, subscription] of this.#subscriptions) {
        for (const listener of subscription.listeners) listener.reset();
        this.#sync(filter, subscription);
      }
    });
    client.on("message", (topic, payload) => {
      for (const [filter, subscription] of this.#subscriptions) {
        if (!topicMatches(filter, topic)) continue;
        for (const listener of subscription.listeners) listener.message(topic, payload.toString("utf8"));
      }
    });
  }

  /** Adds a listener for `filter`; returns the function that removes it. */
  listen(filter: string, listener: TopicListener): () => Promise<void> {
    let subscription = this.#subscriptions.get(filter);
    if (subscription === undefined) {
      subscription = { listeners: new Set(), synced: undefined };
      this.#subscriptions.set(filter, subscription);
    }
    subscription.listeners.add(listener);
    if (this.#client.connected) this.#sync(filter, subscription);
    const added = subscription;
    return async () => {
      added.listeners.delete(listener);
      if (added.listeners.size > 0 || this.#subscriptions.get(filter) !== added) return;
      this.#subscriptions.delete(filter);
      if (this.#client.connected) await this.#client.unsubscribeAsync(filter).catch(() => undefined);
    };
  }

  /**
   * Resolves once connected and the filter's retained messages have arrived; rejects with the
   * reason when the broker cannot be reached or refuses the subscription.
   */
  async synced(filter: string): Promise<void> {
    await this.#connected();
    const subscription = this.#subscriptions.get(filter);
    if (subscription === undefined) throw new Error(`nothing listens to "${filter}"`);
    // A subscription that failed (or was never sent) is tried again.
    await (subscription.synced ?? this.#sync(filter, subscription));
  }

  #sync(filter: string, subscription: Subscription): Promise<void> {
    const synced = this.#subscribe(filter);
    subscription.synced = synced;
    synced.catch(() => {
      if (subscription.synced === synced) subscription.synced = undefined;
    });
    return synced;
  }

  async #subscribe(filter: string): Promise<void> {
    // With the client's `resubscribe` off, mqtt.js sends SUBSCRIBE even for a filter it had, so the
    // broker sends the retained messages again. QoS 0 keeps them in order ahead of later replies.
    const [grant] = await this.#client.subscribeAsync(filter, { qos: 0 });
    if (grant?.qos === 128)
      throw new Error(`the broker refused the subscription to "${filter}" (not authorized?)`);
    // The broker sends retained messages after SUBACK; the reply to any later request comes after them.
    await this.#client.unsubscribeAsync(this.#barrierTopic);
  }

  async #connected(): Promise<void> {
    if (this.#client.connected) return;
    if (this.#connectionError) throw this.#explain(this.#connectionError);
    await new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        this.#client.off("error", onError);
        resolve();
      };
      const onError = (error: Error) => {
        this.#client.off("connect", onConnect);
        reject(this.#explain(error));
      };
      this.#client.once("connect", onConnect);
      this.#client.once("error", onError);
    });
  }

  async end(): Promise<void> {
    await this.#client.endAsync(true);
  }

  #explain(error: Error): Error {
    return new Error(`cannot connect to the MQTT broker: ${messageOf(error)}`, { cause: error });
  }
}

export interface BrokerOptions {
  brokerUrl: string;
  username?: string | undefined;
  password?: string | undefined;
  /** KEDA's TLS parameters, used by mqtts:// and wss:// (PEM texts). */
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  keyPassword?: string | undefined;
  unsafeSsl: boolean;
  timeoutMs: number;
}

export async function openBroker(options: BrokerOptions): Promise<BrokerConnection> {
  const clientId = `tidal-${randomBytes(6).toString("hex")}`;
  const { ca, cert, key, keyPassword } = options;
  // mqtt.js hands the TLS options on to tls.connect for mqtts:// and wss://, passphrase included.
  const clientOptions: IClientOptions & Pick<ConnectionOptions, "passphrase"> = {
    clientId,
    clean: true,
    // BrokerConnection subscribes again itself after a reconnect, to know when retained messages are in.
    resubscribe: false,
    connectTimeout: options.timeoutMs,
    reconnectPeriod: 2000,
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(keyPassword ? { passphrase: keyPassword } : {}),
    rejectUnauthorized: !options.unsafeSsl,
  };
  // mqtt.js is loaded only when an mqtt trigger connects.
  const { connect } = await import("mqtt");
  return new BrokerConnection(connect(options.brokerUrl, clientOptions), clientId);
}
