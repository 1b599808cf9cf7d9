/* Agora's GraphiQL page: a fetcher for this gateway, then GraphiQL itself.
 *
 * Queries and mutations: POST JSON to the page's own URL (/graphql), with the
 * apollo-require-preflight header the gateway's CSRF rule asks of browsers.
 * Subscriptions: graphql-transport-ws on the same URL (wss: under https:); the
 * headers editor's headers ({"Authorization": "Bearer ..."}) are the
 * connection_init payload, where the gateway reads the caller's token.
 */
"use strict";

(function () {
  var location = window.location;
  var url = location.pathname;
  var scheme = location.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: scheme + "//" + location.host + url,
    headers: { "apollo-require-preflight": "true" },
  });
  var defaultQuery = [
    "# Agora's graph, served by the gateway (no CDN).",
    "#",
    "# @authenticated fields need a token: run the login",
    "# mutation, then put in Headers below:",
    '#   {"Authorization": "Bearer <accessToken>"}',
    "# Subscriptions use graphql-transport-ws on this",
    "# same URL, with those headers as the payload.",
    "",
    "query {",
    "  __typename",
    "}",
    "",
  ].join("\n");
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
      // Tokens typed into the headers editor stay out of localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
