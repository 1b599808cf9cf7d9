// @graphql-hive/gateway (2.15.1, scripts/bench/peers/package.json) as the subscription
// bench's peer (run.py --gateway hive): one process (fork 1, no cluster), Hive's own
// JavaScript query planner and its defaults otherwise, serving graphql-transport-ws on
// /graphql (the CLI's WebSocket server). Started by run.py as
//   NODE_ENV=production NODE_OPTIONS=--expose-gc \
//   node scripts/bench/peers/node_modules/.bin/hive-gateway \
//     --config-path scripts/bench/subscriptions/hive/gateway.config.mjs \
//     supergraph SUPERGRAPH --host 127.0.0.1 --port PORT --fork 1
// Nothing is imported, so the file needs no node_modules of its own.
//
// - Subscriptions to chat go over a websocket (graphql-transport-ws, chat's /graphql),
//   everything else over HTTP. The client's `Authorization` (the connection_init
//   payload's) goes into the upstream connection_init payload. Each client
//   subscription is its own upstream subscription (Hive shares none between clients
//   of the same conversation), on one upstream websocket a conversation (see below).
// - Every subgraph HTTP request (the sender's entity fetch to accounts) carries the
//   client's `Authorization` (propagateHeaders; the subgraphs take a bearer token
//   outside production).
// run.py reads the process's memory after a full collection (SIGUSR2; node runs
// with --expose-gc), so garbage from start-up or the last turn is not counted.
if (globalThis.gc) process.on("SIGUSR2", () => globalThis.gc());

export const gatewayConfig = {
  fork: 1,
  // HIVE_MASKED_ERRORS=0 shows subgraph errors as they are (diagnosis).
  maskedErrors: process.env.HIVE_MASKED_ERRORS !== "0",
  logging: process.env.HIVE_LOG_LEVEL || "warn",
  transportEntries: {
    chat: {
      options: {
        subscriptions: {
          kind: "ws",
          location: "/graphql",
          options: {
            connectionParams: {
              Authorization: "{context.connectionParams.Authorization}",
              // Hive opens one upstream websocket per distinct payload. chat
              // (Strawberry) takes at most 100 subscriptions a connection
              // ("Subscription limit reached" past that), so the payload also
              // carries a key that spreads them: the conversation (default; one
              // upstream websocket a conversation, its ten clients' subscriptions
              // on it, as many websockets as Agora opens) or, with
              // HIVE_UPSTREAM=client, the client socket's key (one websocket per
              // client subscription). chat ignores the key.
              "X-Bench-Upstream":
                process.env.HIVE_UPSTREAM === "client"
                  ? "{context.headers.sec-websocket-key}"
                  : "{context.params.variables.id}",
            },
          },
        },
      },
    },
  },
  propagateHeaders: {
    fromClientToSubgraphs({ context, request }) {
      const params = context?.connectionParams;
      const authorization =
        params?.Authorization ??
        params?.authorization ??
        request?.headers?.get?.("authorization");
      return authorization ? { authorization } : {};
    },
  },
};
