/**
 * Generated manifests for the fuzz suite (src/cli/fuzz.test.ts): Secrets whose values hide a
 * canary in the shapes credentials take (a plain value, a DSN, a URL, an address with a query, a
 * libpq string, JSON, base64 data), TriggerAuthentications that hand them to triggers under the
 * parameter names scalers read, and ScaledObjects/ScaledJobs over every trigger type with
 * declared and misspelt metadata keys and hostile values, some with fields of the wrong type.
 * Deterministic for a given fast-check seed.
 */
import fc from "fast-check";
import { stringify } from "yaml";
import { allScalers } from "../../../src/scalers/registry.ts";

/** What must never appear in any output: every Secret value below holds it (with a suffix). */
export const CANARY = "Kq7canaryZ";

const CANARY_SHAPES = [
  CANARY,
  `app:${CANARY}/db`,
  `app:${CANARY}@tcp(db:3306)/orders`,
  `redis:6379?password=${CANARY}`,
  `amqp://tidal:${CANARY}@rabbitmq:notaport/`,
  `postgresql://tidal:${CANARY}@postgres:99999999/tidal`,
  `http://metrics.example/?apiKey=${CANARY}`,
  `host=db port=x password=${CANARY} sslmode=sometimes`,
  `{"type": "service_account", "private_key": "${CANARY}"}`,
  `Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=${CANARY}`,
  `${CANARY}:3306`,
  `h:${CANARY}`,
  `${CANARY},${CANARY}-2`,
  ` ${CANARY} `,
  `mongodb://u:${CANARY}@m:27017/db`,
  `-----BEGIN PRIVATE KEY-----\n${CANARY}\n-----END PRIVATE KEY-----`,
];

const scalers = allScalers();
const TYPES = scalers.flatMap((definition) => [definition.type, ...(definition.aliases ?? [])]);
const HOSTILE_VALUES = [
  "",
  " ",
  "0",
  "-5",
  "1e999",
  "NaN",
  "abc",
  "true",
  "http://",
  "h:1",
  "evil:3306",
  "%ff",
  "[",
  "{}",
  "é\u0000\u202e",
  "a".repeat(2000),
  "../../etc/passwd",
  "$(id)",
  "'; DROP TABLE x; --",
  "http://127.0.0.1:1/x",
  "5",
  "10",
];

/** A value of the wrong shape somewhere a string or number is expected. */
const wrongShape = fc.constantFrom<unknown>(null, 7, -1, 1e20, true, [], ["x"], { a: 1 }, "x".repeat(300));

const metadataValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: wrongShape },
);

function definitionOf(type: string) {
  return scalers.find((each) => each.type === type || each.aliases?.includes(type))!;
}

function metadataKeys(type: string): string[] {
  const declared = Object.keys(definitionOf(type).params);
  // Declared keys, their …FromEnv forms, and misspellings.
  return [...declared, ...declared.map((key) => `${key}FromEnv`), ...declared.map((key) => `${key}x`)];
}

function authParameters(type: string): string[] {
  return Object.entries(definitionOf(type).params)
    .filter(([, declaration]) => declaration.sources?.includes("auth"))
    .map(([name]) => name);
}

/**
 * A trigger: the scaler's own valid example, some of its authentication parameters moved to a
 * TriggerAuthentication of its own (each value a canary shape), then a few hostile edits.
 */
const trigger = fc.constantFrom(...TYPES).chain((type) => {
  const readable = authParameters(type);
  return fc.record({
    type: fc.oneof(
      { weight: 20, arbitrary: fc.constant<unknown>(type) },
      { weight: 1, arbitrary: wrongShape },
    ),
    name: fc.constantFrom<unknown>(undefined, "a", "b", "Bad_Name"),
    fromAuthentication:
      readable.length > 0 ? fc.subarray(readable, { minLength: 1 }) : fc.constant<string[]>([]),
    shapes: fc.array(fc.constantFrom(...CANARY_SHAPES), { minLength: 8, maxLength: 8 }),
    edits: fc.oneof(
      { weight: 3, arbitrary: fc.constant<[string, unknown][]>([]) },
      {
        weight: 4,
        arbitrary: fc.array(fc.tuple(fc.constantFrom(...metadataKeys(type), "zz"), metadataValue), {
          maxLength: 3,
        }),
      },
    ),
    wholeMetadata: fc.oneof(
      { weight: 30, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: wrongShape },
    ),
    reference: fc.constantFrom(
      "TriggerAuthentication",
      "TriggerAuthentication",
      "ClusterTriggerAuthentication",
      "missing",
    ),
    metricType: fc.constantFrom<string | undefined>(
      undefined,
      undefined,
      "AverageValue",
      "Value",
      "Utilization",
    ),
  });
});

type GeneratedTrigger = typeof trigger extends fc.Arbitrary<infer T> ? T : never;

const objectName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("orders", "a-b", "a.b") },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>("Bad_Name", "default_a", "a/b", "", "-x", "x".repeat(300)),
  },
  { weight: 1, arbitrary: wrongShape },
);

const count = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom<unknown>(-5, 1.5, 2 ** 40), wrongShape) },
);

const scaledObject = fc.record(
  {
    name: objectName,
    namespace: fc.constantFrom<unknown>(undefined, "default", "Team_A", { x: 1 }),
    minReplicaCount: count,
    maxReplicaCount: count,
    idleReplicaCount: count,
    pollingInterval: count,
    cooldownPeriod: count,
    triggers: fc.oneof(
      { weight: 10, arbitrary: fc.array(trigger, { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: wrongShape },
    ),
    job: fc.boolean(),
  },
  { requiredKeys: ["name", "triggers", "job"] },
);

/** The trigger document, and its TriggerAuthentication and Secret entries. */
function triggerDocuments(generated: GeneratedTrigger, id: string) {
  const type = String(generated.type);
  const example = (TYPES.includes(type) ? definitionOf(type).example : undefined) ?? { metadata: {} };
  const metadata: Record<string, unknown> = { ...example.metadata };
  const secret: Record<string, string> = {};
  generated.fromAuthentication.forEach((parameter, index) => {
    delete metadata[parameter];
    // Each value its own canary (the shared prefix is what is looked for), so masking one value
    // whole cannot hide a leak of another.
    secret[`${id}-${parameter}`] = generated.shapes[index % generated.shapes.length]!.replaceAll(
      CANARY,
      `${CANARY}${id}x${index}`,
    );
  });
  for (const [key, value] of generated.edits) metadata[key] = value;
  const authName = `auth-${id}`;
  const kind = generated.reference === "missing" ? "TriggerAuthentication" : generated.reference;
  const document: Record<string, unknown> = {
    type: generated.type,
    metadata: generated.wholeMetadata ?? metadata,
    authenticationRef: { name: generated.reference === "missing" ? "missing" : authName, kind },
    ...(generated.name === undefined ? {} : { name: generated.name }),
    ...(generated.metricType === undefined ? {} : { metricType: generated.metricType }),
  };
  const spec = {
    secretTargetRef: generated.fromAuthentication.map((parameter) => ({
      parameter,
      name: "canary",
      key: `${id}-${parameter}`,
    })),
  };
  const authentication = {
    apiVersion: "keda.sh/v1alpha1",
    kind,
    metadata: { name: authName },
    spec,
  };
  return { document, authentication, secret };
}

/** One generated multi-document manifest, as YAML text. */
export const manifestText = fc
  .record({ objects: fc.array(scaledObject, { minLength: 1, maxLength: 3 }), base64: fc.boolean() })
  .map(({ objects, base64 }) => {
    const values: Record<string, string> = {};
    const authentications: unknown[] = [];
    const documents: unknown[] = [];
    objects.forEach((object, objectIndex) => {
      const generatedTriggers =
        Array.isArray(object.triggers) &&
        object.triggers.every(
          (each) => typeof each === "object" && each !== null && "fromAuthentication" in each,
        );
      const triggers = generatedTriggers
        ? (object.triggers as GeneratedTrigger[]).map((generated, triggerIndex) => {
            const parts = triggerDocuments(generated, `${objectIndex}${triggerIndex}`);
            Object.assign(values, parts.secret);
            authentications.push(parts.authentication);
            return parts.document;
          })
        : object.triggers;
      const metadata =
        object.namespace === undefined
          ? { name: object.name }
          : { name: object.name, namespace: object.namespace };
      const common = Object.fromEntries(
        ["pollingInterval", "cooldownPeriod", "minReplicaCount", "maxReplicaCount"].flatMap((key) => {
          const value = (object as Record<string, unknown>)[key];
          return value === undefined ? [] : [[key, value]];
        }),
      );
      documents.push(
        object.job
          ? {
              apiVersion: "keda.sh/v1alpha1",
              kind: "ScaledJob",
              metadata,
              spec: {
                jobTargetRef: { template: { spec: { containers: [{ name: "c", image: "busybox" }] } } },
                triggers,
                ...common,
              },
            }
          : {
              apiVersion: "keda.sh/v1alpha1",
              kind: "ScaledObject",
              metadata,
              spec: {
                scaleTargetRef: { name: `worker-${objectIndex}` },
                triggers,
                ...common,
                ...(object.idleReplicaCount === undefined
                  ? {}
                  : { idleReplicaCount: object.idleReplicaCount }),
              },
            },
      );
    });
    const secret = base64
      ? {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "canary" },
          data: Object.fromEntries(
            Object.entries(values).map(([key, value]) => [key, Buffer.from(value).toString("base64")]),
          ),
        }
      : { apiVersion: "v1", kind: "Secret", metadata: { name: "canary" }, stringData: values };
    return [secret, ...authentications, ...documents].map((document) => stringify(document)).join("---\n");
  });

/** Raw text around YAML's edges: anchors, tags, deep nesting, odd scalars. */
export const oddYaml = fc.constantFrom(
  "",
  "---\n---\n",
  "a: &x [*x]\n",
  "!!binary AAAA\n",
  `${"[".repeat(500)}${"]".repeat(500)}\n`,
  "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: a, name: b}\n",
  "apiVersion: keda.sh/v1alpha1\nkind: {x: 1}\nmetadata: {name: a}\n",
  "\u0000\u0001\u0002",
  "key: 'unterminated\n",
  `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: ${CANARY}}\n---\n: : :\n`,
);
