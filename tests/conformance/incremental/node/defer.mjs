// Apollo Client runs one query with a deferred fragment against the gateway and
// prints every result it emits, one JSON line each ({data, dataState}), then
// "done". Usage: node defer.mjs URL http|ws QUERY
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Defer20220824Handler } from "@apollo/client/incremental";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, transport, text] = process.argv.slice(2);
const link =
  transport === "ws"
    ? new GraphQLWsLink(
        createClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket }),
      )
    : new HttpLink({ uri: url });
const client = new ApolloClient({
  link,
  cache: new InMemoryCache(),
  incrementalHandler: new Defer20220824Handler(),
});

const subscription = client
  .watchQuery({ query: gql(text), fetchPolicy: "network-only" })
  .subscribe({
    next(result) {
      if (result.loading && result.data === undefined) return;
      console.log(JSON.stringify({ data: result.data, dataState: result.dataState }));
      if (result.dataState === "complete") {
        console.log("done");
        subscription.unsubscribe();
        client.stop();
        process.exit(0);
      }
    },
    error(error) {
      console.log(JSON.stringify({ error: String(error) }));
      process.exit(1);
    },
  });
