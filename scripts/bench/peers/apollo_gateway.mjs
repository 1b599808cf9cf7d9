// @apollo/gateway behind @apollo/server, serving the bench supergraph.
// Usage: node apollo_gateway.mjs SUPERGRAPH_PATH HOST PORT
import { readFileSync } from "node:fs";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";

const [supergraphPath, host, port] = process.argv.slice(2);
const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphPath, "utf8") });
const server = new ApolloServer({
  gateway,
  introspection: false,
  // The other gateways compute no cache-control header: do not make Apollo pay for one.
  plugins: [ApolloServerPluginCacheControlDisabled()],
});
const { url } = await startStandaloneServer(server, {
  listen: { host, port: Number(port) },
});
console.error(`apollo gateway ready at ${url}`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
