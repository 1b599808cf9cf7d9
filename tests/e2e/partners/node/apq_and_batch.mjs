// Apollo Client 3 against two gateway instances that share Redis:
//   node apq_and_batch.mjs <url of A> <url of B>
// prints one JSON object: what each client got, and every HTTP exchange it made.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { BatchHttpLink } from "@apollo/client/link/batch-http/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { createHash } from "node:crypto";

const [urlA, urlB] = process.argv.slice(2);
const exchanges = [];
// CSRF prevention: a GET must carry a header that forces a browser preflight.
const headers = { "apollo-require-preflight": "1" };

function recording(instance) {
  return async (uri, options) => {
    const response = await fetch(uri, options);
    const text = await response.clone().text();
    exchanges.push({
      instance,
      method: options.method ?? "GET",
      url: String(uri),
      body: options.body ? JSON.parse(options.body) : null,
      status: response.status,
      response: JSON.parse(text),
    });
    return response;
  };
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

function persistedClient(url, instance, useGETForHashedQueries) {
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries }).concat(
    new HttpLink({ uri: url, fetch: recording(instance), headers }),
  );
  return new ApolloClient({
    link,
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: "no-cache" } },
  });
}

const ME = gql`query Me { me { id name } }`;
const first = await persistedClient(urlA, "a", false).query({ query: ME });
const second = await persistedClient(urlB, "b", true).query({ query: ME });

const batching = new ApolloClient({
  link: new BatchHttpLink({
    uri: urlA,
    fetch: recording("batch"),
    headers,
    batchMax: 10,
    batchInterval: 20,
  }),
  cache: new InMemoryCache(),
  defaultOptions: { query: { fetchPolicy: "no-cache" } },
});
const batch = await Promise.all([
  batching.query({ query: gql`query One { me { id } }` }),
  batching.query({ query: gql`query Two { me { name } }` }),
  batching.query({
    query: gql`query Three($id: ID!) { user(id: $id) { id } }`,
    variables: { id: "1" },
  }),
]);

process.stdout.write(
  JSON.stringify({
    first: first.data,
    second: second.data,
    batch: batch.map((result) => result.data),
    exchanges,
  }),
);
