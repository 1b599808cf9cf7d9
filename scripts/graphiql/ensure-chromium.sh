#!/usr/bin/env bash
# Install Debian's Chromium (/usr/bin/chromium) for tests/e2e/test_graphiql.py when
# it is missing; .ci/run calls it (CI runs as root). Playwright drives this browser:
# it downloads none of its own.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "chromium is missing: apt-get install -y chromium (as root)" >&2
    exit 0
fi
echo "installing Debian's chromium for the GraphiQL browser test" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
