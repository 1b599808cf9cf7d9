// Subscribe through the gateway with the real `graphql-ws` client; print each result
// as one JSON line, then `complete` once `count` results arrived (the client's own
// complete), or `error` if the stream fails.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, query, variables, count, authorization] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: authorization ? { Authorization: authorization } : {},
  on: { connected: () => console.log(JSON.stringify({ connected: true })) },
});

let received = 0;
const dispose = client.subscribe(
  { query, variables: JSON.parse(variables) },
  {
    next: (result) => {
      console.log(JSON.stringify({ next: result }));
      received += 1;
      if (received >= Number(count)) {
        dispose();
        console.log(JSON.stringify({ complete: "client" }));
        client.dispose().then(() => process.exit(0));
      }
    },
    error: (error) => {
      console.log(JSON.stringify({ error: String(error?.message ?? error) }));
      process.exit(2);
    },
    complete: () => {
      console.log(JSON.stringify({ complete: "server" }));
      client.dispose().then(() => process.exit(0));
    },
  },
);
