# Shared by the realtime benches (sourced, not run): build, free ports, a throwaway PostgreSQL, parleyd with a
# tenant, a widget and an agent, and cleanup of everything started. Callers set `bench` (their name) first and
# run under `set -euo pipefail` from the repository root.
# Env for investigations: BENCH_KEEP=1 keeps the temporary directory (parleyd and PostgreSQL logs);
# BENCH_PG_OPTIONS adds server options, e.g. "-c log_statement=all" to count statements per message.

build_dir="${PARLEY_BUILD_DIR:-build}"
parleyd="${PARLEYD:-$build_dir/core/parleyd}"  # PARLEYD: another binary, e.g. a baseline copy
rt_load="$build_dir/bench/realtime_load/rt_load"
bench_origin="https://bench.example"

die() { echo "$bench: $*" >&2; exit 1; }
log() { echo "$bench: $*" >&2; }

bench_tmp=$(mktemp -d "/tmp/parley-$bench.XXXXXX")
started_pids=()
pg_data=""

# Stops one process we started: TERM, then KILL after 10 s.
stop_pid() {
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
    local pid
    for pid in "${started_pids[@]}"; do stop_pid "$pid"; done
    if [ -n "$pg_data" ]; then as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true; fi
    if [ -n "${BENCH_KEEP:-}" ]; then log "kept $bench_tmp"; else rm -rf "$bench_tmp"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Builds parleyd and the load generator (at most -j2: the machine is shared).
build_bench() {
    [ -f "$build_dir/build.ninja" ] || cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$build_dir" -j2 --target parleyd rt_load >/dev/null || die "build failed (cmake --build $build_dir)"
}

# Raises the descriptor limit to at least $1 (each connection needs one in the client and one in the server).
need_descriptors() {
    local want="$1"
    [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge "$want" ] || die "ulimit -Hn is $(ulimit -Hn), need $want"
    ulimit -n "$want"
}

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 12000))  # below the ephemeral range: client ends of earlier runs hold those
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free TCP port found"
}

# One line on what else the machine was doing: the figures move with it.
machine_line() {
    echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load average" \
        "$(cut -d' ' -f1-3 /proc/loadavg) before the run; $(date -u +%Y-%m-%dT%H:%MZ)"
}

# Starts a throwaway PostgreSQL (Debian's 15) with durable commits: fsync, synchronous_commit and
# full_page_writes on (the defaults), so every commit waits for its WAL flush. Sets pg_url.
start_postgres() {
    pg_bin="${PARLEY_PG_BIN:-/usr/lib/postgresql/15/bin}"
    if [ ! -x "$pg_bin/initdb" ]; then
        pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
        [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || die "PostgreSQL server binaries not found"
    fi
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user"
        as_pg() { (cd "$bench_tmp" && runuser -u postgres -- "$@"); }
        chown postgres: "$bench_tmp"
    else
        as_pg() { (cd "$bench_tmp" && "$@"); }
    fi
    chmod 755 "$bench_tmp"
    mkdir -p "$bench_tmp/pg" && chmod 700 "$bench_tmp/pg"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$bench_tmp/pg"
    as_pg "$pg_bin/initdb" -D "$bench_tmp/pg/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$bench_tmp/initdb.log" 2>&1 || { cat "$bench_tmp/initdb.log" >&2; die "initdb failed"; }
    local port
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_pg "$pg_bin/pg_ctl" -D "$bench_tmp/pg/data" -l "$bench_tmp/pg/postgres.log" -w -t 30 \
            -o "-p $port -k $bench_tmp/pg -c listen_addresses=127.0.0.1 -c max_connections=100 \
                -c fsync=on -c synchronous_commit=on -c full_page_writes=on ${BENCH_PG_OPTIONS:-}" start >/dev/null 2>&1; then
            pg_data="$bench_tmp/pg/data"
            break
        fi
        [ "$attempt" -lt 5 ] || { tail -n 30 "$bench_tmp/pg/postgres.log" >&2; die "PostgreSQL did not start"; }
    done
    for _ in $(seq 1 60); do
        "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres && break
        sleep 0.5
    done
    pg_version=$("$pg_bin/postgres" --version | sed 's/^postgres (PostgreSQL) //')
    pg_url="postgresql://postgres@127.0.0.1:$port/postgres"
}

# Starts parleyd on database URL $1 with bench settings (no access log, no per-IP limit, no Lua rules, no
# plugins: the core path only) plus any extra JSON config members in $2; signs in a super admin and makes a
# tenant, a widget allowing $bench_origin and an agent. Sets parleyd_pid, parleyd_port, tenant_id, public_key,
# agent_token. Data lives under $bench_tmp/<n>, n counting the parleyd instances of this run.
parleyd_count=0
start_parleyd() {
    local url="$1" extra="${2:-}"
    parleyd_count=$((parleyd_count + 1))
    local dir="$bench_tmp/parleyd$parleyd_count"
    mkdir -p "$dir/data" "$dir/scripts"
    [ -n "$url" ] || url="sqlite:$dir/parley.db"
    parleyd_port=$(free_port)
    printf '{"server": {"public_dir": "%s/public"}, "plugins": {"enabled": []}%s}\n' "$PWD" "${extra:+, $extra}" \
        >"$dir/parley.json"
    parleyd_log="$dir/parleyd.log"
    local pd=(env PARLEY_DATA_DIR="$dir/data" PARLEY_DATABASE_URL="$url" PARLEY_ACCESS_LOG=false
        PARLEY_PUBLIC_RATE_LIMIT=0 PARLEY_HTTP_HOST=127.0.0.1 PARLEY_HTTP_PORT="$parleyd_port"
        PARLEY_LUA_SCRIPTS_DIR="$dir/scripts" PARLEY_LOG_LEVEL=warning PARLEY_ARGON2_MEMORY_KIB=1024
        "$parleyd" "--config=$dir/parley.json")
    "${pd[@]}" migrate >"$parleyd_log" 2>&1 || { tail -20 "$parleyd_log" >&2; die "parleyd migrate failed"; }
    "${pd[@]}" create-admin --email=bench@example.com --password=bench-password-123 >>"$parleyd_log" 2>&1 ||
        { tail -20 "$parleyd_log" >&2; die "parleyd create-admin failed"; }
    "${pd[@]}" serve >>"$parleyd_log" 2>&1 &
    parleyd_pid=$!
    started_pids+=("$parleyd_pid")
    local base="http://127.0.0.1:$parleyd_port"
    for _ in $(seq 1 150); do
        kill -0 "$parleyd_pid" 2>/dev/null || { tail -20 "$parleyd_log" >&2; die "parleyd exited during start-up"; }
        curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
        sleep 0.2
    done
    local token
    token=$(api "$base" "" POST /api/v1/auth/login \
        '{"email":"bench@example.com","password":"bench-password-123","mode":"bearer"}' | json_field token)
    tenant_id=$(api "$base" "$token" POST /api/v1/tenants '{"name":"Bench","slug":"bench","plan":"unlimited"}' |
        json_field id)
    public_key=$(api "$base" "$token" POST "/api/v1/tenants/$tenant_id/widgets" \
        "{\"name\":\"Bench\",\"allowed_domains\":[\"${bench_origin#https://}\"]}" | json_field public_key)
    api "$base" "$token" POST "/api/v1/tenants/$tenant_id/users" \
        '{"email":"agent@example.com","role":"agent","password":"agent-password-123"}' >/dev/null
    agent_token=$(api "$base" "" POST /api/v1/auth/login \
        '{"email":"agent@example.com","password":"agent-password-123","mode":"bearer"}' | json_field token)
    [ -n "$tenant_id" ] && [ -n "$public_key" ] && [ -n "$agent_token" ] || die "setting up the tenant failed"
}

# api BASE TOKEN METHOD PATH DATA: prints the body; dies with status and body on non-2xx.
api() {
    local base="$1" token="$2" method="$3" path="$4" data="$5" status
    status=$(curl -sS -o "$bench_tmp/response" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
        ${token:+-H "Authorization: Bearer $token"} --data "$data" "$base$path") || die "$method $path failed"
    case "$status" in
        2??) cat "$bench_tmp/response" ;;
        *) die "$method $path returned HTTP $status: $(head -c 500 "$bench_tmp/response")" ;;
    esac
}

# The first value of "key" in a JSON text on stdin (string or number).
json_field() {
    grep -o "\"$1\"[[:space:]]*:[[:space:]]*\(\"[^\"]*\"\|[0-9-][0-9]*\)" | head -n1 |
        sed 's/^[^:]*:[[:space:]]*//; s/^"//; s/"$//'
}

# seed_conversations N FILE: N conversations on the widget through the HTTP API.
seed_conversations() {
    "$rt_load" seed --port "$parleyd_port" --key "$public_key" --origin "$bench_origin" --count "$1" --out "$2" \
        --connections 4 || die "seeding $1 conversations failed"
}

# stop_parleyd: stops the running parleyd (the next start_parleyd makes a fresh one).
stop_parleyd() {
    stop_pid "$parleyd_pid"
    parleyd_pid=""
}

# Installs npm packages (name@range ...) into bench/node_modules unless present; prints nothing on success.
npm_packages() {
    command -v node >/dev/null || die "node is not installed (the baseline needs it)"
    local missing=()
    for p in "$@"; do [ -d "bench/node_modules/${p%@*}" ] || missing+=("$p"); done
    [ "${#missing[@]}" -eq 0 ] && return 0
    npm install --prefix bench --no-save --no-package-lock --no-audit --no-fund "${missing[@]}" >/dev/null 2>&1 ||
        die "npm install ${missing[*]} failed"
}

# Starts a Node server that prints "port N" first; sets node_pid and node_port.
start_node() {
    local out="$bench_tmp/node.out"
    NODE_PATH=bench/node_modules node "$@" >"$out" 2>&1 &
    node_pid=$!
    started_pids+=("$node_pid")
    for _ in $(seq 100); do
        grep -q '^port ' "$out" && break
        kill -0 "$node_pid" 2>/dev/null || { cat "$out" >&2; die "node $* exited"; }
        sleep 0.1
    done
    node_port=$(sed -n 's/^port //p' "$out" | head -1)
    [ -n "$node_port" ] || die "node $* did not print its port"
}

# kv KEY LINE: the value of KEY=value in a rt_load result line.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
