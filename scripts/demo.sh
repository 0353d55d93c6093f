#!/usr/bin/env bash
# maiev in one command: installs what is missing, builds, starts the local stack, deploys the
# test worker as the swarm service `maiev-demo`, runs `maiev serve`, publishes a burst of
# messages and prints a timeline while maiev scales the worker up and back down to its minimum.
# Then the upgrades: two services, `maiev-demo-orders` and `maiev-demo-shop` (which needs what
# orders provides), run 1.0.0; shop 2.0.0 is pushed (held back: it needs orders 2), then orders
# 2.0.0, and the script prints the plan and each step as maiev rolls them out, then the versions.
# Everything it started is stopped at the end (the stack only if this script started it).
#
# usage: bash scripts/demo.sh            (root on Debian 12; see docs/OPERATIONS.md)
# Environment: MAIEV_BUILD_DIR (default build/), MAIEV_DEMO_BURST (messages, default 2000),
# MAIEV_DEMO_DEADLINE (seconds, default 240), MAIEV_DEMO_WORK_MS (per message, default 60),
# MAIEV_DEMO_UPGRADE (0: stop after the scaling timeline; default 1).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${MAIEV_BUILD_DIR:-$REPO/build}
SERVICE=maiev-demo
QUEUE=maiev-demo
IMAGE=127.0.0.1:5000/maiev-worker:worker-1.0.0
BURST=${MAIEV_DEMO_BURST:-2000}
DEADLINE=${MAIEV_DEMO_DEADLINE:-240}
# One replica handles about 1000 / (WORK_MS + a few ms) messages/s: ~15/s at 60 ms.
WORK_MS=${MAIEV_DEMO_WORK_MS:-60}
UPGRADE=${MAIEV_DEMO_UPGRADE:-1}
UPGRADE_SERVICES=(maiev-demo-orders maiev-demo-shop)
UPGRADE_DEADLINE=180   # seconds for the upgrade plan to finish
WEBHOOK_TOKEN=${MAIEV_WEBHOOK_TOKEN:-maiev-dev-webhook}  # what scripts/stack.sh gives the registry
TICK=2                 # seconds between timeline lines
CONVERGE_DEADLINE=60   # seconds for the worker to start and maiev to answer
STOP_DEADLINE=20       # seconds for maiev to exit after SIGTERM

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() {
  echo "demo: $*" >&2
  exit 1
}

# --- state for the cleanup trap ---------------------------------------------------------------
stack_started_here=0
service_created=0
upgrade_services_created=0
maiev_pid=
workdir=
keep_workdir=0

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
  local rc=$?
  set +e
  if [ -n "$maiev_pid" ] && kill -0 "$maiev_pid" 2>/dev/null; then
    say "stopping maiev (pid $maiev_pid)"
    kill -TERM "$maiev_pid"
    for _ in $(seq $((STOP_DEADLINE * 5))); do
      kill -0 "$maiev_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$maiev_pid" 2>/dev/null && kill -KILL "$maiev_pid"
    wait "$maiev_pid" 2>/dev/null
  fi
  if [ "$service_created" = 1 ]; then
    say "removing the service $SERVICE"
    docker service rm "$SERVICE" >/dev/null
  fi
  if [ "$upgrade_services_created" = 1 ]; then
    say "removing the services ${UPGRADE_SERVICES[*]}"
    docker service rm "${UPGRADE_SERVICES[@]}" >/dev/null 2>&1
  fi
  if [ "$stack_started_here" = 1 ]; then
    say "stopping the stack (this demo started it)"
    "$REPO/scripts/stack.sh" stop
  fi
  if [ -n "$workdir" ]; then
    if [ "$rc" != 0 ] || [ "$keep_workdir" = 1 ]; then
      echo "demo: maiev's log and store are kept in $workdir"
    else
      rm -rf "$workdir"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. packages, build, stack, image ------------------------------------------------------------
say "installing missing packages (scripts/setup.sh)"
bash "$REPO/scripts/setup.sh"

say "building maiev, maiev-worker and maiev-loadgen in $BUILD"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$REPO" -B "$BUILD" -G Ninja -DMAIEV_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD" -j"$(nproc)" --target maiev maiev-worker maiev-loadgen
MAIEV=$BUILD/src/cli/maiev
[ -x "$MAIEV" ] || MAIEV=$(find "$BUILD" -type f -name maiev -perm -u+x | head -n 1)
LOADGEN=$BUILD/tools/maiev-loadgen
[ -x "$MAIEV" ] || die "no maiev binary under $BUILD"

if ! "$REPO/scripts/stack.sh" status >/dev/null 2>&1; then stack_started_here=1; fi
say "starting the local stack (scripts/stack.sh start)"
"$REPO/scripts/stack.sh" start
eval "$("$REPO/scripts/stack.sh" env)"
docker() { command docker -H "$DOCKER_HOST" "$@"; }

say "building the worker image (scripts/build-images.sh)"
"$REPO/scripts/build-images.sh" --worker "$BUILD/tools/maiev-worker"

# --- 2. the worker service ---------------------------------------------------------------------
if docker service inspect "$SERVICE" >/dev/null 2>&1; then
  say "removing a $SERVICE service left from an earlier run"
  docker service rm "$SERVICE" >/dev/null
fi
# Messages left in the queue by an earlier run would blur the timeline.
curl -fsS -o /dev/null -u "$RABBITMQ_USER:$RABBITMQ_PASSWORD" -X DELETE \
  "$RABBITMQ_MANAGEMENT_URL/api/queues/%2F/$QUEUE" 2>/dev/null || true

say "deploying $SERVICE: 1 replica of $IMAGE, ${WORK_MS} ms per message"
docker service create -d -q --name "$SERVICE" --network host --replicas 1 \
  --label maiev.demo=1 --label maiev.update=off --stop-grace-period 5s \
  -e WORKER_QUEUE="$QUEUE" -e WORKER_WORK_MS="$WORK_MS" -e WORKER_PREFETCH=1 \
  -e RABBITMQ_HOST="$RABBITMQ_HOST" -e RABBITMQ_PORT="$RABBITMQ_PORT" \
  -e RABBITMQ_USER="$RABBITMQ_USER" -e RABBITMQ_PASSWORD="$RABBITMQ_PASSWORD" \
  "$IMAGE" >/dev/null
service_created=1

queue_consumers() {
  curl -fsS --max-time 3 -u "$RABBITMQ_USER:$RABBITMQ_PASSWORD" \
    "$RABBITMQ_MANAGEMENT_URL/api/queues/%2F/$QUEUE" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("consumers", 0))' 2>/dev/null ||
    echo 0
}
end=$(($(date +%s) + CONVERGE_DEADLINE))
until [ "$(queue_consumers)" -ge 1 ]; do
  [ "$(date +%s)" -lt "$end" ] || die "the worker did not start consuming $QUEUE within ${CONVERGE_DEADLINE}s"
  sleep 0.5
done

# --- 3. maiev serve ----------------------------------------------------------------------------
workdir=$(mktemp -d "${TMPDIR:-/tmp}/maiev-demo.XXXXXX")
LOG=$workdir/maiev.log
listen=127.0.0.1:8080
if ss -Hltn 'sport = :8080' 2>/dev/null | grep -q .; then listen=127.0.0.1:0; fi
say "starting maiev serve (log: $LOG)"
"$MAIEV" serve --store "$workdir/maiev.db" --listen "$listen" --interval 1 --stats-interval 2 \
  --webhook-token "$WEBHOOK_TOKEN" --registry-poll-interval 5 \
  >"$LOG" 2>&1 &
maiev_pid=$!

API=
end=$(($(date +%s) + CONVERGE_DEADLINE))
while :; do
  kill -0 "$maiev_pid" 2>/dev/null || {
    cat "$LOG" >&2
    die "maiev serve exited"
  }
  if [ -z "$API" ]; then
    port=$(sed -n 's|.*maiev serving on http://[0-9.]*:\([0-9]*\).*|\1|p' "$LOG" | head -n 1)
    [ -n "$port" ] && API=http://127.0.0.1:$port
  fi
  # Monitored, and the queue's rates known (two listings), so the timeline starts with a latency.
  if [ -n "$API" ] && curl -fsS --max-time 2 "$API/readyz" >/dev/null 2>&1 &&
    curl -fsS --max-time 2 "$API/api/v1/services/$SERVICE" 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s.get("state") == "monitored" and
         ((s.get("metrics") or {}).get("rmq") or {}).get("latency") is not None else 1)'; then
    break
  fi
  [ "$(date +%s)" -lt "$end" ] || die "maiev did not start monitoring $SERVICE within ${CONVERGE_DEADLINE}s"
  sleep 0.5
done
echo "maiev API: $API   (try: $MAIEV status --url $API)"

# --- 4. the burst and the timeline -------------------------------------------------------------
say "publishing $BURST messages to $QUEUE"
burst_at=$(date +%s.%N)
"$LOADGEN" --queue "$QUEUE" --burst "$BURST"

say "timeline (every ${TICK}s; decisions as maiev logs them)"
# One Python loop polls the API, follows maiev's log for decision lines and prints the summary;
# it exits 0 once the service is back at its minimum with an empty queue, 1 at the deadline.
set +e
python3 - "$API" "$SERVICE" "$LOG" "$TICK" "$DEADLINE" "$BURST" "$WORK_MS" "$burst_at" <<'PY'
import datetime, json, math, sys, time, urllib.request

api, service, log_path, tick, deadline, burst, work_ms, burst_at = sys.argv[1:9]
tick, deadline, burst_at = float(tick), float(deadline), float(burst_at)

def status():
    try:
        with urllib.request.urlopen(f"{api}/api/v1/services/{service}", timeout=2) as r:
            return json.load(r)
    except Exception:
        return None

def show(value, fmt):
    if value is None:
        return "-"
    if value == "inf" or (isinstance(value, float) and math.isinf(value)):
        return "inf"
    return fmt % value

def logged_at(line):
    """Seconds after the burst of a log line stamped [YYYY-mm-dd HH:MM:SS.mmm]."""
    try:
        stamp = datetime.datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S.%f")
        return stamp.timestamp() - burst_at
    except ValueError:
        return time.time() - burst_at

log = open(log_path, encoding="utf-8", errors="replace")
log.seek(0, 2)  # decisions from now on
marker = f"service {service}: replicas "
print(f"{'t (s)':>7}  {'waiting':>8}  {'latency':>8}  {'desired':>8}  {'running':>8}", flush=True)
peak, peak_at, back_at, decisions, minimum, first_up = None, None, None, 0, None, None
while True:
    t = time.time() - burst_at
    for line in log.readlines():
        if marker in line:
            decisions += 1
            at = logged_at(line)
            change = line[line.index(marker) + len(marker):]
            before, _, after = change.partition(" → ")
            if first_up is None and after[:1].isdigit() and int(after.split(":")[0]) > int(before):
                first_up = at
            print(f"{at:7.1f}  decision: " + line[line.index(marker):].rstrip(), flush=True)
    s = status()
    if s is None:
        print(f"{t:7.1f}  (maiev's API did not answer)", flush=True)
    else:
        m = (s.get("metrics") or {}).get("rmq") or {}
        desired, running, minimum = s["replicas"], s.get("running_tasks"), s["min"]
        print(f"{t:7.1f}  {show(m.get('waiting'), '%d'):>8}  {show(m.get('latency'), '%.1f'):>8}"
              f"  {desired:>8}  {show(running, '%d'):>8}", flush=True)
        if peak is None or desired > peak:
            peak, peak_at = desired, t
        if (peak > minimum and desired <= minimum and running == desired
                and m.get("waiting") == 0):
            back_at = t
            break
    if t > deadline:
        break
    time.sleep(tick)

print("\033[1m==> summary\033[0m")
print(f"burst:             {burst} messages, {work_ms} ms of work each")
print(f"decisions:         {decisions}")
if first_up is not None:
    print(f"first scale-up:    {first_up:.1f} s after the burst")
if peak is not None and minimum is not None and peak > minimum:
    print(f"peak replicas:     {peak}, reached {peak_at:.1f} s after the burst")
if back_at is not None:
    print(f"back to min ({minimum}):  {back_at:.1f} s after the burst")
    sys.exit(0)
if peak is None or minimum is None or peak <= minimum:
    print(f"{service} was not scaled up within {deadline:.0f} s (see {log_path})")
else:
    print(f"{service} was not back at its minimum within {deadline:.0f} s (see {log_path})")
sys.exit(1)
PY
rc=$?
set -e
if [ "$rc" != 0 ]; then
  keep_workdir=1
  exit "$rc"
fi
[ "$UPGRADE" = 1 ] || exit 0

# --- 5. a dependency-ordered upgrade -----------------------------------------------------------
# orders provides `demo:orders` (its major version); shop requires it. shop 2.0.0 needs
# `demo:orders >= 2`, which only orders 2.0.0 provides: orders must be upgraded first.
registry_forget() {  # REPOSITORY: deletes every manifest an earlier run pushed
  local tags tag digest
  tags=$(curl -fsS "http://$MAIEV_REGISTRY/v2/$1/tags/list" 2>/dev/null |
    python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).get("tags") or []))' \
      2>/dev/null) || return 0
  for tag in $tags; do
    digest=$(curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://$MAIEV_REGISTRY/v2/$1/manifests/$tag" | tr -d '\r' |
      sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
    [ -z "$digest" ] || curl -fsS -o /dev/null -X DELETE \
      "http://$MAIEV_REGISTRY/v2/$1/manifests/$digest" || true
  done
}
push_version() {  # REPOSITORY VERSION SCALE_CONFIG: the worker image with that label, pushed
  local image=$MAIEV_REGISTRY/$1:$2
  local out
  # The legacy builder (no BuildKit needed) warns that it is deprecated: shown only on failure.
  out=$(printf 'FROM %s\n' "$IMAGE" | DOCKER_BUILDKIT=0 docker build -q \
    --label "maiev.scale_config=$3" --label "maiev.version=$2" -t "$image" - 2>&1) ||
    die "building $image: $out"
  out=$(docker push -q "$image" 2>&1) || die "pushing $image: $out"
  echo "pushed $image"
}
label() {  # PROVIDE_JSON REQUIRE_JSON
  echo '{"min": 1, "max": 1, "dependencies": {"provide": '"$1"', "require": '"$2"'}}'
}

say "upgrades: deploying ${UPGRADE_SERVICES[*]} at 1.0.0 (shop needs demo:orders >= 1)"
for s in "${UPGRADE_SERVICES[@]}"; do
  docker service rm "$s" >/dev/null 2>&1 || true
  registry_forget "$s"
done
push_version maiev-demo-orders 1.0.0 "$(label '{"demo:orders": 1}' '[]')"
push_version maiev-demo-shop 1.0.0 "$(label '{}' '["demo:orders >= 1"]')"
upgrade_services_created=1
for s in "${UPGRADE_SERVICES[@]}"; do
  docker service create -d -q --name "$s" --network host --label maiev.demo=1 \
    --stop-grace-period 2s --update-failure-action rollback --update-monitor 2s \
    -e WORKER_QUEUE="$s" -e RABBITMQ_HOST="$RABBITMQ_HOST" -e RABBITMQ_PORT="$RABBITMQ_PORT" \
    -e RABBITMQ_USER="$RABBITMQ_USER" -e RABBITMQ_PASSWORD="$RABBITMQ_PASSWORD" \
    "$MAIEV_REGISTRY/$s:1.0.0" >/dev/null
done

# Whether the catalog lists SERVICE (maiev checked it) and, given VERSION, holds it back.
# shellcheck disable=SC2317  # invoked through wait_for
catalog_shows() {  # SERVICE [VERSION-HELD-BACK]
  curl -fsS --max-time 2 "$API/api/v1/catalog" 2>/dev/null | python3 -c '
import json, sys
service, held = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
for s in json.load(sys.stdin).get("services", []):
    if s["name"] == service:
        sys.exit(0 if held is None or any(v["version"] == held and v["state"] == "held_back"
                                           for v in s["versions"]) else 1)
sys.exit(1)' "$@"
}
wait_for() {  # WHAT COMMAND...
  local what=$1 end=$(($(date +%s) + UPGRADE_DEADLINE))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$end" ] || die "$what within ${UPGRADE_DEADLINE}s (see $LOG)"
    sleep 0.5
  done
}
# shellcheck disable=SC2317  # invoked through wait_for
both_listed() { catalog_shows maiev-demo-orders && catalog_shows maiev-demo-shop; }
wait_for "maiev did not list ${UPGRADE_SERVICES[*]} in its catalog" both_listed

say "upgrades: pushing maiev-demo-shop 2.0.0, which needs demo:orders >= 2"
push_version maiev-demo-shop 2.0.0 "$(label '{}' '["demo:orders >= 2"]')"
wait_for "maiev did not hold maiev-demo-shop 2.0.0 back" catalog_shows maiev-demo-shop 2.0.0
"$MAIEV" catalog --url "$API" | grep -E '^(SERVICE|maiev-demo-(orders|shop)) |maiev-demo-(orders|shop) [0-9.]+ held back'

say "upgrades: pushing maiev-demo-orders 2.0.0, which provides demo:orders 2"
pushed_at=$(date +%s.%N)
push_version maiev-demo-orders 2.0.0 "$(label '{"demo:orders": 2}' '[]')"

say "upgrades: the plan, as maiev runs it"
set +e
python3 - "$API" "$pushed_at" "$UPGRADE_DEADLINE" "${UPGRADE_SERVICES[@]}" <<'PY'
import json, sys, time, urllib.request

api, pushed_at, deadline = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
services = set(sys.argv[4:])

def plans():
    try:
        with urllib.request.urlopen(api + "/api/v1/plans?limit=20", timeout=2) as r:
            return json.load(r)["plans"]
    except Exception:
        return None

seen = {}
while time.time() - pushed_at < deadline:
    for plan in reversed(plans() or []):
        mine = [s for s in plan["steps"] if s["service"] in services]
        if not mine:
            continue
        t = time.time() - pushed_at
        key = ("plan", plan["id"])
        if key not in seen:
            print(f"{t:6.1f}s  plan {plan['id']}: {plan['reason']}", flush=True)
            for i, s in enumerate(plan["steps"], 1):
                print(f"          {i}. {s['service']} {s['from']} → {s['to']}  {s['image']}",
                      flush=True)
        for i, s in enumerate(plan["steps"], 1):
            k = ("step", plan["id"], i)
            if seen.get(k, "pending") != s["state"]:
                error = f": {s['error']}" if s.get("error") else ""
                print(f"{t:6.1f}s    step {i} {s['service']} {s['from']} → {s['to']}: "
                      f"{s['state']}{error}", flush=True)
            seen[k] = s["state"]
        if seen.get(key) != plan["state"]:
            print(f"{t:6.1f}s  plan {plan['id']} {plan['state']}", flush=True)
            seen[key] = plan["state"]
        if plan["state"] in ("done", "failed", "aborted") and \
                {s["service"] for s in plan["steps"]} >= services and \
                all(s["to"] == "2.0.0" for s in mine):
            sys.exit(0 if plan["state"] == "done" else 1)
    time.sleep(0.5)
print(f"no plan moving {', '.join(sorted(services))} to 2.0.0 ended within {deadline:.0f} s")
sys.exit(1)
PY
rc=$?
set -e
[ "$rc" = 0 ] || keep_workdir=1
say "upgrades: the versions now"
for s in "${UPGRADE_SERVICES[@]}"; do
  printf '%-20s %s\n' "$s" "$(docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}} ({{if .UpdateStatus}}{{.UpdateStatus.State}}{{else}}never updated{{end}})' "$s")"
done
exit "$rc"
