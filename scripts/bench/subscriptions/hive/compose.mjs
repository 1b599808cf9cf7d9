// Composes the bench's subgraphs into a Federation supergraph (join__ directives) with
// Apollo's reference composer, for @graphql-hive/gateway. Reads a JSON list
// [{"name": ..., "url": ..., "sdl": ...}] (each subgraph's `_service { sdl }`) on stdin
// and writes the supergraph SDL to stdout. The modules come from the peers' install
// (scripts/bench/peers/node_modules: `cd scripts/bench/peers && npm ci`).
// Usage: node compose.mjs < subgraphs.json > supergraph.graphql
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "..", "peers", "package.json"));
const { composeServices } = require("@apollo/composition");
const { parse } = require("graphql");

const subgraphs = JSON.parse(readFileSync(0, "utf8"));
const result = composeServices(
  subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
);
if (result.errors) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : result.supergraphSdl + "\n");
