#!/usr/bin/env bash
# maiev in one command: installs what is missing, builds, starts the local stack, deploys the
# test worker as the swarm service `maiev-demo`, runs `maiev serve`, publishes a burst of
# messages and prints a timeline while maiev scales the worker up and back down to its minimum.
# Everything it started is stopped at the end (the stack only if this script started it).
#
# usage: bash scripts/demo.sh            (root on Debian 12; see docs/OPERATIONS.md)
# Environment: MAIEV_BUILD_DIR (default build/), MAIEV_DEMO_BURST (messages, default 2000),
# MAIEV_DEMO_DEADLINE (seconds, default 240), MAIEV_DEMO_WORK_MS (per message, default 60).
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
  --label maiev.demo=1 --stop-grace-period 5s \
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
[ "$rc" = 0 ] || keep_workdir=1
exit "$rc"
