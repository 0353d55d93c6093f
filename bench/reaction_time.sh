#!/usr/bin/env bash
# Reaction time: from a burst published to the queue until Swarm accepted the service update that
# maiev requested for it. Runs the real `maiev serve` against the local stack (scripts/stack.sh)
# and measures RUNS bursts; prints each and the median.
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

service=maiev-reaction
queue=maiev-reaction
port=18089
workdir=$(mktemp -d)
# The service consumes another queue, so the burst stays in `queue` until maiev reacts.
config='{"min": 1, "max": 2, "policy": {"reapply_interval": "1s"},
  "scale": {"resources": [{"name": "rmq", "monitorer": "monitorer_rabbitmq", "identifier": "'$queue'"}],
            "rules": [], "scale_up": "rmq:waiting > 0", "scale_down": ""}}'

cleanup() {
  [ -n "${maiev_pid:-}" ] && kill "$maiev_pid" 2>/dev/null && wait "$maiev_pid" 2>/dev/null
  docker service rm "$service" >/dev/null 2>&1 || true
  curl -s -u guest:guest -X DELETE "$RABBITMQ_MANAGEMENT_URL/api/queues/%2F/$queue" || true
  rm -rf "$workdir"
}
trap cleanup EXIT

docker service create --detach --name "$service" --label maiev.test=1 --network host \
  --replicas 1 --env WORKER_QUEUE=maiev-reaction-idle \
  --label "maiev.scale_config=$config" maiev-worker:dev >/dev/null
"$build/src/cli/maiev" serve --store "$workdir/maiev.db" --listen "127.0.0.1:$port" \
  --log-level warn >"$workdir/maiev.log" 2>&1 &
maiev_pid=$!
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done

replicas() { docker service inspect "$service" --format '{{.Spec.Mode.Replicated.Replicas}}'; }
results=()
for i in $(seq 1 "$runs"); do
  curl -s -u guest:guest -X DELETE "$RABBITMQ_MANAGEMENT_URL/api/queues/%2F/$queue/contents" \
    >/dev/null || true
  docker service scale --detach "$service=1" >/dev/null
  sleep 3  # let maiev see the reset and the re-apply interval pass
  t0=$(date +%s%N)
  "$build/tools/maiev-loadgen" --queue "$queue" --burst 20 >/dev/null
  deadline=$((SECONDS + 30))
  until [ "$(replicas)" = 2 ]; do
    [ $SECONDS -lt $deadline ] || { echo "run $i: no scale-up within 30 s"; exit 1; }
    sleep 0.05
  done
  t1=$(docker events --since "$((t0 / 1000000000 - 1))" --until "$(($(date +%s) + 1))" \
    --filter type=service --filter "service=$service" --filter event=update \
    --format '{{.TimeNano}}' | tail -n 1)
  ms=$(( (t1 - t0) / 1000000 ))
  results+=("$ms")
  echo "run $i: burst published → update requested: $ms ms"
done
median=$(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
echo "median reaction time over $runs runs: $median ms (counts every 1 s, cycle every 1 s)"
