#!/usr/bin/env bash
# The multi-node swarm of scripts/stack.sh (docs/STACK.md, "Several swarm nodes"): three managers
# start and join; RabbitMQ, the registry and the node's own Engine answer on loopback inside a
# node's namespace; a one-replica service on a node that is killed runs again on another; stop
# removes every namespace, process and mount. Needs the stack (RabbitMQ, registry, worker image).
set -euo pipefail
stack() { bash "$(dirname "$0")/../scripts/stack.sh" "$@"; }
STACK_DIR=${MAIEV_STACK_DIR:-/tmp/maiev-stack}
fail() {
  echo "FAIL: $*" >&2
  stack status >&2 || true
  stack stop-nodes || true
  exit 1
}
# within SECONDS COMMAND...: polls COMMAND every 0.5 s until it succeeds.
within() {
  local end=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.5
  done
}

stack start-nodes 3 || fail "start-nodes 3"
managers=$(stack node 1 node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}')
echo "$managers"
[ "$(echo "$managers" | grep -c ' Ready ')" = 3 ] || fail "three Ready nodes expected"
[ "$(echo "$managers" | grep -cE 'Leader|Reachable')" = 3 ] || fail "three managers expected"
in_node() { nsenter --net=/run/netns/maiev-n"$1" "${@:2}"; }
in_node 2 curl -fsS --max-time 5 -u guest:guest http://127.0.0.1:15672/api/overview >/dev/null ||
  fail "RabbitMQ's management API from node 2"
in_node 2 curl -fsS --max-time 5 http://127.0.0.1:5000/v2/ >/dev/null || fail "registry from node 2"
[ "$(in_node 3 curl -fsS --max-time 5 http://127.0.0.1:2375/_ping)" = OK ] || fail "node 3's Engine on tcp"

stack node 1 service create -d -q --name nodes-smoke --network host --restart-delay 1s \
  -e WORKER_QUEUE=nodes-smoke -e RABBITMQ_HOST=127.0.0.1 \
  127.0.0.1:5000/maiev-worker:worker-1.0.0 >/dev/null || fail "service create"
running_node() {
  stack node "$1" service ps nodes-smoke --filter desired-state=running \
    --format '{{.Node}} {{.CurrentState}}' | awk '$2 == "Running" {sub("maiev-n", "", $1); print $1}'
}
started_somewhere() { [ -n "$(running_node 1)" ]; }
within 120 started_somewhere || fail "the service did not start"
victim=$(running_node 1)
survivor=$((victim % 3 + 1))
echo "the service runs on node $victim; killing it"
started=$SECONDS
stack kill-node "$victim"
moved() { local n; n=$(running_node "$survivor"); [ -n "$n" ] && [ "$n" != "$victim" ]; }
within 150 moved || fail "the service did not move off node $victim"
echo "[nodes] node $victim killed: the service runs on node $(running_node "$survivor") after $((SECONDS - started)) s"
stack node "$survivor" node ls --format '{{.Hostname}} {{.Status}}' | grep -q "maiev-n$victim Down" ||
  fail "node $victim not Down"

stack stop-nodes
! ip netns list | grep -q '^maiev-' || fail "namespaces left"
! pgrep -f "$STACK_DIR/nodes/" >/dev/null || fail "processes left"
! findmnt -rn -o TARGET | grep -q "^$STACK_DIR/nodes/" || fail "mounts left"
[ ! -e "$STACK_DIR/nodes" ] || fail "state left"
stack rabbitmqctl delete_queue nodes-smoke >/dev/null 2>&1 || true
echo "ok"
