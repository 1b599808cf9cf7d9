// Composes a workload's fixtures/*.graphql into its supergraph with Apollo's reference
// composer. Usage: node compose.mjs [--fixtures DIR] [--services a,b,c]
// [--port-base 43101] [--out supergraph.graphql]; defaults: the `peers` workload.
// The subgraph order and ports must match workloads.py (subgraph i on port base + i).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const portBase = Number(option("--port-base", "43101"));
const fixtures = option("--fixtures", join(here, "fixtures"));
const names = option("--services", "products,reviews,accounts").split(",");
const out = option("--out", join(here, "supergraph.graphql"));

const services = names.map((name, offset) => ({
  name,
  url: `http://127.0.0.1:${portBase + offset}/graphql`,
  typeDefs: parse(readFileSync(join(fixtures, `${name}.graphql`), "utf8")),
}));

const result = composeServices(services);
if (result.errors) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl.endsWith("\n") ? result.supergraphSdl : result.supergraphSdl + "\n");
console.error(`wrote ${out}`);
