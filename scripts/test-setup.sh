#!/usr/bin/env bash
# test-setup.sh — install the node packages the interop tests use (DuckDB and Polars)
# into tests/interop/node_modules, pinned by tests/interop/package-lock.json.
# Never fails the build: without node/npm or network the interop tests skip (exit 77).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir="$here/tests/interop"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "test-setup: node/npm not found; interop tests will be skipped (run scripts/deps.sh)"
  exit 0
fi

# Complete = every package the tests import resolves, including the native parts
# (npm skips nodejs-polars' optional native package on Node 20, hence the explicit check).
check() {
  (cd "$dir" && node --input-type=module -e "
    await import('@duckdb/node-api');
    const pl = (await import('nodejs-polars')).default;
    pl.DataFrame({a: [1]});
  ") >/dev/null 2>&1
}
if [ -d "$dir/node_modules" ] && check; then
  echo "test-setup: interop node modules ready"
  exit 0
fi

echo "test-setup: installing interop node modules into $dir/node_modules"
# `npm install` (not `npm ci`): it honours the lock's versions, and `npm ci` rejects a lock
# written on one platform because the other platforms' optional native packages are absent.
if ! (cd "$dir" && npm install --no-audit --no-fund --loglevel=error </dev/null 2>&1 | tail -20; exit "${PIPESTATUS[0]}"); then
  echo "test-setup: npm install failed; interop tests will be skipped"
  exit 0
fi
if check; then
  echo "test-setup: done"
else
  echo "test-setup: modules installed but failed to load; interop tests will be skipped"
fi
exit 0
