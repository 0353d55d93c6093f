#!/usr/bin/env bash
# Reaction time: from a burst published to a queue until Swarm accepted the service update that
# maiev requested for it. Runs the real `maiev serve` against the local stack (scripts/stack.sh)
# with two services and measures RUNS bursts for each:
#   waiting — nobody consumes the queue; the rule is `rmq:waiting > 0`;
#   latency — a worker (100 ms a message) consumes it; the rule is `rmq:latency > 3`, so maiev
#             must see the backlog and that it is not drained fast enough.
# Prints each run and the median of the runs that could be measured; a run whose update event
# cannot be found is reported as such and left out.
#
#   bench/reaction_time.sh [BUILD_DIR] [RUNS]      (defaults: build 5)
# REQUIRES: scripts/stack.sh start and scripts/build-images.sh done; BUILD_DIR has maiev and
# maiev-loadgen built.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-5}
eval "$(scripts/stack.sh env)"
docker() { command docker -H "$DOCKER_HOST" "$@"; }

port=18089
burst=200
scale_up_deadline=30  # seconds
workdir=$(mktemp -d)
services=(maiev-reaction-waiting maiev-reaction-latency)

config() {  # QUEUE SCALE_UP
  echo '{"min": 1, "max": 2, "policy": {"reapply_interval": "1s"},
  "scale": {"resources": [{"name": "rmq", "monitorer": "monitorer_rabbitmq", "identifier": "'"$1"'"}],
            "rules": [], "scale_up": "'"$2"'", "scale_down": ""}}'
}

purge() {
  curl -s -u "$RABBITMQ_USER:$RABBITMQ_PASSWORD" -X DELETE \
    "$RABBITMQ_MANAGEMENT_URL/api/queues/%2F/$1/contents" >/dev/null || true
}

cleanup() {
  [ -n "${maiev_pid:-}" ] && kill "$maiev_pid" 2>/dev/null && wait "$maiev_pid" 2>/dev/null
  for s in "${services[@]}"; do
    docker service rm "$s" >/dev/null 2>&1 || true
    curl -s -u "$RABBITMQ_USER:$RABBITMQ_PASSWORD" -X DELETE \
      "$RABBITMQ_MANAGEMENT_URL/api/queues/%2F/$s" >/dev/null || true
  done
  rm -rf "$workdir"
}
trap cleanup EXIT

# The waiting service consumes another queue, so the burst stays in its queue until maiev reacts.
docker service create --detach --name maiev-reaction-waiting --label maiev.test=1 \
  --network host --replicas 1 --env WORKER_QUEUE=maiev-reaction-idle \
  --label "maiev.scale_config=$(config maiev-reaction-waiting 'rmq:waiting > 0')" \
  maiev-worker:dev >/dev/null
docker service create --detach --name maiev-reaction-latency --label maiev.test=1 \
  --network host --replicas 1 --env WORKER_QUEUE=maiev-reaction-latency \
  --env WORKER_WORK_MS=100 --env WORKER_PREFETCH=1 \
  --label "maiev.scale_config=$(config maiev-reaction-latency 'rmq:latency > 3')" \
  maiev-worker:dev >/dev/null
"$build/src/cli/maiev" serve --store "$workdir/maiev.db" --listen "127.0.0.1:$port" \
  --log-level warn >"$workdir/maiev.log" 2>&1 &
maiev_pid=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done

replicas() { docker service inspect "$1" --format '{{.Spec.Mode.Replicated.Replicas}}'; }

# The first update event of SERVICE at or after T0 (ns since the epoch), or nothing.
update_after() {
  docker events --since "$(($2 / 1000000000 - 1))" --until "$(($(date +%s) + 1))" \
    --filter type=service --filter "service=$1" --filter event=update \
    --format '{{.TimeNano}}' | awk -v t0="$2" '$1 >= t0 { print; exit }'
}

measure() {  # SERVICE
  local service=$1 results=() unmeasured=0 t0 t1 deadline
  for i in $(seq 1 "$runs"); do
    # Empty the queue first and let maiev count it empty (counts are up to 1 s old), so the reset
    # to 1 replica is not answered by a scale-up on the previous run's backlog.
    purge "$service"
    sleep 2
    docker service scale --detach "$service=1" >/dev/null
    sleep 3  # maiev sees the reset, the re-apply interval passes
    t0=$(date +%s%N)
    "$build/tools/maiev-loadgen" --queue "$service" --burst "$burst" >/dev/null
    deadline=$((SECONDS + scale_up_deadline))
    until [ "$(replicas "$service")" = 2 ]; do
      [ $SECONDS -lt $deadline ] || break
      sleep 0.05
    done
    t1=$(update_after "$service" "$t0")
    if [ "$(replicas "$service")" != 2 ]; then
      echo "$service run $i: no scale-up within ${scale_up_deadline} s (not counted)"
      unmeasured=$((unmeasured + 1))
    elif [ -z "$t1" ]; then
      echo "$service run $i: scaled, but no update event found after the burst (not counted)"
      unmeasured=$((unmeasured + 1))
    else
      results+=($(((t1 - t0) / 1000000)))
      echo "$service run $i: burst published → update requested: ${results[-1]} ms"
    fi
  done
  if [ ${#results[@]} -eq 0 ]; then
    echo "$service: no run could be measured"
    return 1
  fi
  local sorted median
  sorted=$(printf '%s\n' "${results[@]}" | sort -n)
  median=$(echo "$sorted" | sed -n "$(((${#results[@]} + 1) / 2))p")
  echo "$service: median $median ms over ${#results[@]} measured runs" \
    "(range $(echo "$sorted" | head -n 1)–$(echo "$sorted" | tail -n 1) ms," \
    "$unmeasured not measured; counts every 1 s, cycle every 1 s)"
}

rc=0
for s in "${services[@]}"; do measure "$s" || rc=1; done
exit $rc
