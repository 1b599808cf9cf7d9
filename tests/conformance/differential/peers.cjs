// The reference gateways of the differential test, in one process: POST
// /<peer>/<name> runs {query, variables} on the supergraph registered as <name>
// through @apollo/gateway (peer "apollo", behind @apollo/server's executeOperation)
// or @graphql-hive/gateway's runtime (peer "hive"), each built on first use.
// PUT /supergraphs/<name> registers a supergraph (the body is its SDL).
// Usage: NODE_PATH=scripts/bench/peers/node_modules node peers.cjs HOST PORT
// (the packages come from the bench's checked-in lock file; PORT 0 picks a free
// one); prints "ready PORT" once listening.
"use strict";
const http = require("node:http");

const [host, port] = process.argv.slice(2);
const supergraphs = new Map();
const gateways = new Map();

async function apollo(sdl) {
  const { ApolloGateway } = require("@apollo/gateway");
  const { ApolloServer } = require("@apollo/server");
  const server = new ApolloServer({
    gateway: new ApolloGateway({ supergraphSdl: sdl }),
    includeStacktraceInErrorResponses: false,
  });
  await server.start();
  return async (request) => {
    const response = await server.executeOperation(request);
    if (response.body.kind !== "single") {
      return { errors: [{ message: "incremental response" }] };
    }
    return response.body.singleResult;
  };
}

async function hive(sdl) {
  const { createGatewayRuntime } = require("@graphql-hive/gateway-runtime");
  const runtime = createGatewayRuntime({ supergraph: sdl, logging: false, maskedErrors: false });
  return async (request) => {
    const response = await runtime.fetch("http://peer/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(request),
    });
    return response.json();
  };
}

const PEERS = { apollo, hive };

function gateway(peer, name) {
  const key = `${peer}/${name}`;
  let found = gateways.get(key);
  if (found === undefined) {
    found = PEERS[peer](supergraphs.get(name));
    gateways.set(key, found);
  }
  return found;
}

function body(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response, status, value) {
  const text = JSON.stringify(value);
  response.writeHead(status, { "content-type": "application/json" });
  response.end(text);
}

const server = http.createServer(async (request, response) => {
  try {
    const [, first, name] = request.url.split("/");
    const text = await body(request);
    if (request.method === "PUT" && first === "supergraphs") {
      supergraphs.set(name, text);
      for (const peer of Object.keys(PEERS)) gateways.delete(`${peer}/${name}`);
      return send(response, 200, { registered: name });
    }
    if (request.method !== "POST" || !(first in PEERS) || !supergraphs.has(name)) {
      return send(response, 404, { error: `no ${request.method} ${request.url}` });
    }
    const run = await gateway(first, name);
    send(response, 200, await run(JSON.parse(text)));
  } catch (error) {
    send(response, 500, { error: String(error && error.stack ? error.stack : error) });
  }
});
server.listen(Number(port), host, () => console.log(`ready ${server.address().port}`));
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
