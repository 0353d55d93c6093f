#!/usr/bin/env bash
# Push → upgrade: from a newer tag pushed to the stack's registry until Swarm accepted the
# service update maiev requested for it, through the registry's webhook (maiev polls the
# registry once an hour here, so only the notification can trigger the check). Runs the real
# `maiev serve` on the address the stack's registry notifies (scripts/stack.sh,
# MAIEV_WEBHOOK_URL, default 127.0.0.1:8080) and pushes RUNS newer versions one after the other,
# each once the previous rolling update completed.
# Prints each run (from `docker push` returning to the service's UpdatedAt, Swarm's time of the
# spec change) and the median.
#
#   bench/upgrade_reaction.sh [BUILD_DIR] [RUNS]      (defaults: build 5)
# REQUIRES: scripts/stack.sh start and scripts/build-images.sh done; BUILD_DIR has maiev built;
# nothing else listening on the webhook's port.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-5}
eval "$(scripts/stack.sh env)"
docker() { command docker -H "$DOCKER_HOST" "$@"; }
export DOCKER_BUILDKIT=0

webhook_url=${MAIEV_WEBHOOK_URL:-http://127.0.0.1:8080/api/v1/webhooks/registry}
listen=$(echo "$webhook_url" | sed -E 's|^https?://([^/]+)/.*|\1|')
token=${MAIEV_WEBHOOK_TOKEN:-maiev-dev-webhook}
base=$MAIEV_REGISTRY/maiev-worker:worker-1.0.0
repo=maiev-bench-reaction-$(date +%s)
service=$repo
deadline=60  # seconds for one update to be requested, and to complete
workdir=$(mktemp -d)

cleanup() {
  [ -n "${maiev_pid:-}" ] && kill "$maiev_pid" 2>/dev/null && wait "$maiev_pid" 2>/dev/null
  docker service rm "$service" >/dev/null 2>&1 || true
  rm -rf "$workdir"
}
trap cleanup EXIT

if ss -Hltn "sport = :${listen##*:}" 2>/dev/null | grep -q .; then
  echo "upgrade_reaction: $listen is taken; the registry notifies maiev there" >&2
  exit 1
fi
docker image inspect "$base" >/dev/null || {
  echo "upgrade_reaction: no $base (scripts/build-images.sh)" >&2
  exit 1
}

# Every version beforehand, so a run times the push alone.
for i in $(seq 0 "$runs"); do
  printf 'FROM %s\n' "$base" | docker build -q --label "maiev.version=1.$i.0" \
    --label 'maiev.scale_config={"min": 1, "max": 1}' -t "$MAIEV_REGISTRY/$repo:1.$i.0" - >/dev/null
done
docker push -q "$MAIEV_REGISTRY/$repo:1.0.0" >/dev/null
docker service create -d -q --name "$service" --label maiev.test=1 --network host \
  --replicas 1 --stop-grace-period 1s --update-monitor 1s \
  --env WORKER_QUEUE="$service" "$MAIEV_REGISTRY/$repo:1.0.0" >/dev/null

"$build/src/cli/maiev" serve --store "$workdir/maiev.db" --listen "$listen" \
  --webhook-token "$token" --registry-poll-interval 3600 --log-level info \
  >"$workdir/maiev.log" 2>&1 &
maiev_pid=$!

api=http://$listen
in_catalog() {
  curl -fsS --max-time 2 "$api/api/v1/catalog" 2>/dev/null |
    python3 -c 'import json,sys; sys.exit(0 if any(s["name"] == sys.argv[1] and s["running"] == "1.0.0"
      for s in json.load(sys.stdin)["services"]) else 1)' "$service" 2>/dev/null
}
end=$(($(date +%s) + deadline))
until in_catalog; do
  if [ "$(date +%s)" -ge "$end" ] || ! kill -0 "$maiev_pid" 2>/dev/null; then
    cat "$workdir/maiev.log" >&2
    echo "upgrade_reaction: maiev did not check $service" >&2
    exit 1
  fi
  sleep 0.2
done

inspect() { docker service inspect --format "$1" "$service"; }
delays=()
for i in $(seq 1 "$runs"); do
  docker push -q "$MAIEV_REGISTRY/$repo:1.$i.0" >/dev/null
  pushed=$(date +%s.%N)
  end=$(($(date +%s) + deadline))
  until inspect '{{.Spec.TaskTemplate.ContainerSpec.Image}}' | grep -q ":1\.$i\.0@"; do
    if [ "$(date +%s)" -ge "$end" ]; then
      echo "run $i: no update requested within ${deadline}s" >&2
      tail -n 20 "$workdir/maiev.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  updated=$(inspect '{{json .UpdatedAt}}' | python3 -c '
import datetime, json, re, sys
t = json.load(sys.stdin)
t = re.sub(r"(\.\d{6})\d*", r"\1", t).replace("Z", "+00:00")
print(datetime.datetime.fromisoformat(t).timestamp())')
  delay=$(python3 -c "print(f'{($updated - $pushed) * 1000:.0f}')")
  delays+=("$delay")
  echo "run $i: push of 1.$i.0 → service update requested in $delay ms"
  until [ "$(inspect '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}')" = completed ]; do
    [ "$(date +%s)" -lt "$end" ] || {
      echo "run $i: the rolling update did not complete" >&2
      exit 1
    }
    sleep 0.2
  done
done
printf '%s\n' "${delays[@]}" | sort -n | awk '{a[NR] = $1} END {
  printf "median of %d: %d ms (min %d, max %d)\n", NR, a[int((NR + 1) / 2)], a[1], a[NR]}'
# The pushes reached maiev through the webhook, not by polling:
curl -fsS "$api/metrics" | grep '^maiev_webhook_events_total{source="registry"'
