// Cassandra's test user for scripts/services/cassandra.sh, with the driver the tests use:
//   node cassandra-bootstrap.mjs --ready                exit 0 when the node answers CQL at all
//   node cassandra-bootstrap.mjs USER PASSWORD          create the superuser USER (idempotent)
//   node cassandra-bootstrap.mjs --check USER PASSWORD  exit 0 when USER can log in and query
import cassandra from "cassandra-driver";

const [mode, ...rest] = process.argv.slice(2);
const [user, password] = mode === "--check" || mode === "--ready" ? rest : [mode, ...rest];

async function session(name, secret) {
  const client = new cassandra.Client({
    contactPoints: ["127.0.0.1:9042"],
    policies: { loadBalancing: new cassandra.policies.loadBalancing.RoundRobinPolicy() },
    authProvider: new cassandra.auth.PlainTextAuthProvider(name, secret),
    socketOptions: { connectTimeout: 5000, readTimeout: 20000 },
  });
  try {
    await client.connect();
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw error;
  }
  return client;
}

let client;
try {
  if (mode === "--ready") {
    // Any answer counts: wrong credentials mean CQL is up.
    client = await session("cassandra", "cassandra").catch((error) => {
      if (error instanceof cassandra.errors.NoHostAvailableError) {
        const causes = Object.values(error.innerErrors ?? {});
        if (causes.some((cause) => cause instanceof cassandra.errors.AuthenticationError)) return undefined;
      }
      throw error;
    });
  } else if (mode === "--check") {
    client = await session(user, password);
    await client.execute("SELECT release_version FROM system.local");
  } else {
    client = await session("cassandra", "cassandra").catch(() => session(user, password));
    await client.execute(
      `CREATE ROLE IF NOT EXISTS ${user} WITH PASSWORD = '${password}' AND SUPERUSER = true AND LOGIN = true`,
    );
  }
} catch (error) {
  if (mode !== "--check" && mode !== "--ready") console.error(`cassandra bootstrap: ${error.message}`);
  process.exitCode = 1;
} finally {
  await client?.shutdown();
}
