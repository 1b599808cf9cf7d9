// @graphql-hive/gateway with the Rust query planner (@graphql-hive/router-runtime) and
// both de-duplications on, as the public federation gateways benchmark configures it:
// identical incoming operations in flight share one execution
// (inboundInflightRequestDeduplication) and identical subgraph requests in flight share
// one fetch (the HTTP transport's deduplicateInflightRequests, its default). The
// runner's gateway `hive-dedup`.
import { defineConfig } from "@graphql-hive/gateway";
import { unifiedGraphHandler } from "@graphql-hive/router-runtime";

export const gatewayConfig = defineConfig({
  unifiedGraphHandler,
  inboundInflightRequestDeduplication: true,
  transportEntries: {
    "*": { options: { deduplicateInflightRequests: true } },
  },
});
