#!/usr/bin/env bash
# Installs the SDK to a temporary prefix, builds sdk/examples/echo as a separate CMake project against it,
# runs its tests, loads the result into a running parleyd and calls its routes.
# Usage: out_of_tree.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
tmp=$(mktemp -d /tmp/parley-sdk.XXXXXX)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
step() { echo "out_of_tree: $*"; }

step "installing the SDK into $tmp/prefix"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/lib/cmake/Parley/ParleyConfig.cmake"
test -f "$tmp/prefix/include/parley/plugin.h"

step "building sdk/examples/echo as its own project"
cp -r "$src/sdk/examples/echo" "$tmp/echo-src"
cmake -S "$tmp/echo-src" -B "$tmp/echo-build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/echo-build" >/dev/null
test -f "$tmp/echo-build/plugins/echo/echo.so"
test -f "$tmp/echo-build/plugins/echo/plugin.json"
step "running its tests"
ctest --test-dir "$tmp/echo-build" --output-on-failure | tail -n 3

step "loading it into parleyd"
export PARLEY_DATA_DIR="$tmp/data" PARLEY_DATABASE_URL="sqlite:$tmp/data/parley.db" PARLEY_HTTP_HOST=127.0.0.1 \
       PARLEY_HTTP_PORT=0 PARLEY_PLUGINS=echo PARLEY_PLUGINS_PATH="$tmp/echo-build/plugins" \
       PARLEY_ARGON2_MEMORY_KIB=1024 PARLEY_ACCESS_LOG=false
echo '{}' > "$tmp/config.json"
parleyd="$build/core/parleyd"
"$parleyd" --config="$tmp/config.json" create-admin --email=sdk@example.com --password=sdk-password-123 >/dev/null
"$parleyd" --config="$tmp/config.json" plugins | tee "$tmp/plugins.txt"
grep -q "^echo 1.0.0  loaded" "$tmp/plugins.txt"
"$parleyd" --config="$tmp/config.json" serve >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    grep -q "parleyd listening" "$tmp/server.log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
    sleep 0.1
done
# Port 0 lets the kernel pick a free port; parleyd prints the one it bound.
base=$(sed -nE 's/^parleyd listening on (http:[^ ]+)$/\1/p' "$tmp/server.log")
[ -n "$base" ] || { cat "$tmp/server.log"; exit 1; }
pong=$(curl -sf "$base/hooks/echo/ping")
[ "$pong" = "pong" ] || { echo "expected pong, got '$pong'"; exit 1; }
token=$(curl -sf "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"sdk@example.com","password":"sdk-password-123","mode":"bearer"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
echo_reply=$(curl -sf "$base/api/v1/plugins/echo/echo?text=from-outside" -H "Authorization: Bearer $token")
echo "$echo_reply" | grep -q '"echo":"from-outside"' || { echo "unexpected reply: $echo_reply"; exit 1; }
step "ok: the out-of-tree echo plugin loaded and answered ($echo_reply)"
