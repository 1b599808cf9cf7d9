// @graphql-hive/gateway with the Rust query planner (@graphql-hive/router-runtime, as the
// public federation gateways benchmark runs it) and no de-duplication at all: neither of
// identical incoming operations (inboundInflightRequestDeduplication, off by default) nor
// of identical subgraph requests in flight (the HTTP transport's
// deduplicateInflightRequests, on by default). The runner's gateway `hive`.
import { defineConfig } from "@graphql-hive/gateway";
import { unifiedGraphHandler } from "@graphql-hive/router-runtime";

export const gatewayConfig = defineConfig({
  unifiedGraphHandler,
  inboundInflightRequestDeduplication: false,
  transportEntries: {
    "*": { options: { deduplicateInflightRequests: false } },
  },
});
