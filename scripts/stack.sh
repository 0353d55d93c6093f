#!/usr/bin/env bash
# The local stack of real components maiev is tested against, on loopback only:
# dockerd in swarm mode, RabbitMQ with the management plugin and the Docker registry.
# State of every component lives under ${MAIEV_STACK_DIR:-/tmp/maiev-stack}. See docs/STACK.md.
set -euo pipefail

SELF=$(readlink -f "$0")
STACK_DIR=${MAIEV_STACK_DIR:-/tmp/maiev-stack}
DOCKER_DIR=$STACK_DIR/docker
DOCKER_SOCK=$STACK_DIR/docker.sock
DOCKER_PID=$DOCKER_DIR/dockerd.pid
DOCKER_LOG=$DOCKER_DIR/dockerd.log
RMQ_DIR=$STACK_DIR/rabbitmq
RMQ_PID=$RMQ_DIR/rabbitmq.pid
RMQ_LAUNCHER_PID=$RMQ_DIR/launcher.pid
RMQ_LOG=$RMQ_DIR/startup.log
REG_DIR=$STACK_DIR/registry
REG_PID=$REG_DIR/registry.pid
REG_LOG=$REG_DIR/registry.log

LOOPBACK=127.0.0.1
AMQP_PORT=5672
MGMT_PORT=15672
DIST_PORT=25672
REGISTRY_ADDR=$LOOPBACK:5000
SWARM_ADDR=$LOOPBACK:2377
RMQ_USER=guest
RMQ_PASSWORD=guest
WEBHOOK_URL=${MAIEV_WEBHOOK_URL:-http://127.0.0.1:8080/api/v1/webhooks/registry}
WEBHOOK_TOKEN=${MAIEV_WEBHOOK_TOKEN:-maiev-dev-webhook}

# Deadlines, in seconds, for a component to answer after it was launched or signalled.
DOCKER_START_DEADLINE=60
RMQ_START_DEADLINE=120
REGISTRY_START_DEADLINE=30
STOP_DEADLINE=45
# One readiness probe must answer within this many seconds.
PROBE_TIMEOUT=3

log() { echo "stack: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# pid_alive FILE: the process named in FILE exists and is one of this stack's (its command line
# or environment names the state dir), so a recycled pid is never taken for ours.
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    cat "/proc/$pid/cmdline" "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n' | grep -qF "$STACK_DIR/"
}

# wait_until DEADLINE COMMAND...: polls COMMAND every 0.5 s until it succeeds or DEADLINE s pass.
wait_until() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

fail_with_log() {
  log "$1 did not become ready; last lines of $2:"
  tail -n 40 "$2" >&2 2>/dev/null || true
  exit 1
}

# stop_pid FILE NAME: SIGTERM the process in FILE, SIGKILL it after STOP_DEADLINE.
stop_pid() {
  local pid
  pid_alive "$1" || {
    rm -f "$1"
    return 0
  }
  pid=$(cat "$1")
  log "stopping $2 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$STOP_DEADLINE" bash -c "! kill -0 $pid 2>/dev/null"; then
    log "$2 ignored SIGTERM for ${STOP_DEADLINE}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# Launches a long-running command detached from this shell (own session, stdin closed), so it
# outlives the caller (a CTest fixture test exits right after `start`). Prints its pid.
launch() {
  local logfile=$1
  shift
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  echo $!
}

# ---------------------------------------------------------------------------------------------
# Docker Engine

docker_cli() { docker -H "unix://$DOCKER_SOCK" "$@"; }

docker_up() {
  [ -S "$DOCKER_SOCK" ] &&
    curl -fsS --max-time "$PROBE_TIMEOUT" --unix-socket "$DOCKER_SOCK" http://docker/_ping >/dev/null 2>&1
}

# dockerd starts its containerd with a parent-death signal: a dockerd killed with SIGKILL takes
# its containerd along, a moment later. A dockerd started meanwhile finds that containerd still
# running (its pid file), waits for a socket that never comes and gives up after a minute. So
# before a start, the old containerd is waited for (killed if it outlives the wait) and its pid
# file dropped; a new dockerd then starts a containerd of its own.
reap_orphan_containerd() {
  local file="$DOCKER_DIR/exec/containerd/containerd.pid" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = containerd ]; then
    wait_until 5 eval "! kill -0 $pid 2>/dev/null" || {
      log "containerd (pid $pid) outlived its dockerd; stopping it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_until 5 eval "! kill -0 $pid 2>/dev/null" || true
    }
  fi
  rm -f "$file"
}

start_docker() {
  if docker_up; then
    log "dockerd already answering on $DOCKER_SOCK"
  elif pid_alive "$DOCKER_PID"; then
    log "dockerd (pid $(cat "$DOCKER_PID")) is starting; waiting for it"
    wait_until "$DOCKER_START_DEADLINE" docker_up || fail_with_log dockerd "$DOCKER_LOG"
  else
    mkdir -p "$DOCKER_DIR/data" "$DOCKER_DIR/exec"
    rm -f "$DOCKER_SOCK" "$DOCKER_PID"
    reap_orphan_containerd
    # An empty daemon.json so /etc/docker/daemon.json of the machine is never read.
    [ -f "$DOCKER_DIR/daemon.json" ] || echo '{}' >"$DOCKER_DIR/daemon.json"
    log "starting dockerd (log: $DOCKER_LOG)"
    SECONDS=0
    launch "$DOCKER_LOG" dockerd \
      --config-file "$DOCKER_DIR/daemon.json" \
      --data-root "$DOCKER_DIR/data" \
      --exec-root "$DOCKER_DIR/exec" \
      --pidfile "$DOCKER_PID" \
      -H "unix://$DOCKER_SOCK" \
      --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
      --userland-proxy=false \
      --cgroup-parent=maiev-stack >/dev/null
    wait_until "$DOCKER_START_DEADLINE" docker_up || fail_with_log dockerd "$DOCKER_LOG"
    log "dockerd ready after ${SECONDS}s"
  fi
  init_swarm
}

# Swarm on loopback, without the routing mesh: the `ingress` overlay is removed so no test
# traffic can reach a private address range. Services must use `--network host`.
init_swarm() {
  local state
  state=$(docker_cli info --format '{{.Swarm.LocalNodeState}}')
  if [ "$state" != active ]; then
    log "initialising swarm on $SWARM_ADDR"
    docker_cli swarm init --advertise-addr "$LOOPBACK" --listen-addr "$SWARM_ADDR" \
      --data-path-addr "$LOOPBACK" >/dev/null
  fi
  if docker_cli network inspect ingress >/dev/null 2>&1; then
    log "removing the ingress routing mesh"
    echo y | docker_cli network rm ingress >/dev/null
  fi
}

# Removes every service of the stack's swarm: the swarm belongs to the stack alone, and a
# service left behind would be started again with the next dockerd.
remove_services() {
  local services leases
  services=$(docker_cli service ls -q 2>/dev/null || true)
  if [ -n "$services" ]; then
    log "removing swarm services: $(echo "$services" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    docker_cli service rm $services >/dev/null
    wait_until 30 bash -c "[ -z \"\$(docker -H unix://$DOCKER_SOCK ps -q)\" ]" ||
      log "some containers are still running after removing the services"
  fi
  # The leases maiev instances kept on the swarm (Swarm configs labelled maiev.lease.holder).
  leases=$(docker_cli config ls -q --filter label=maiev.lease.holder 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$leases" ] || docker_cli config rm $leases >/dev/null 2>&1 || true
}

stop_docker() {
  docker_up && remove_services
  stop_pid "$DOCKER_PID" dockerd
  rm -f "$DOCKER_SOCK"
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ

# Everything RabbitMQ and its CLI read comes from the state dir: node name, config, plugins,
# Erlang cookie (HOME), and every listener (AMQP, management, epmd, distribution) on loopback.
# With RMQ_EXEC=exec the command replaces this shell.
rmq_env() {
  ${RMQ_EXEC:-} env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    HOME="$RMQ_DIR/home" \
    RABBITMQ_NODENAME=rabbit@localhost \
    RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" \
    RABBITMQ_LOG_BASE="$RMQ_DIR/log" \
    RABBITMQ_PID_FILE="$RMQ_PID" \
    RABBITMQ_NODE_IP_ADDRESS="$LOOPBACK" \
    RABBITMQ_NODE_PORT="$AMQP_PORT" \
    RABBITMQ_DIST_PORT="$DIST_PORT" \
    ERL_EPMD_ADDRESS="$LOOPBACK" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$@"
}

# Runs a command as the rabbitmq user with the stack's RabbitMQ environment.
as_rabbitmq() {
  rmq_env setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$@"
}

rabbitmqctl_cmd() { as_rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl "$@"; }

rmq_up() {
  curl -fsS --max-time "$PROBE_TIMEOUT" -u "$RMQ_USER:$RMQ_PASSWORD" \
    "http://$LOOPBACK:$MGMT_PORT/api/overview" >/dev/null 2>&1
}

write_rmq_config() {
  mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log" "$RMQ_DIR/home"
  echo '[rabbitmq_management].' >"$RMQ_DIR/enabled_plugins"
  : >"$RMQ_DIR/rabbitmq-env.conf"
  # advanced.config:
  # - the bundled syslog application opens a UDP socket even when nothing is logged to syslog;
  #   bind it to loopback, and keep its destination there;
  # - the management database takes in a queue's statistics as often as the finest granularity
  #   of its sample retention policies (5 s by default), whatever collect_statistics_interval
  #   says: counters, messages_ready and rates all refresh at that pace. The stack refreshes
  #   every MAIEV_RMQ_STATS_REFRESH seconds (default 1; 5 is the broker's default) so tests see
  #   statistics quickly; maiev copes with either (docs/STACK.md).
  local refresh=${MAIEV_RMQ_STATS_REFRESH:-1}
  cat >"$RMQ_DIR/advanced.config" <<EOF
[{syslog, [{protocol, {rfc3164, udp, [{ip, {127,0,0,1}}]}}, {dest_host, {127,0,0,1}}]},
 {rabbitmq_management_agent, [{sample_retention_policies,
   [{global, [{605, $refresh}, {3660, 60}]}, {basic, [{605, $refresh}, {3600, 60}]},
    {detailed, [{605, $refresh}]}]}]}].
EOF
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = $LOOPBACK:$AMQP_PORT
management.tcp.ip = $LOOPBACK
management.tcp.port = $MGMT_PORT
# Queues and channels emit statistics as often as the management database takes them in.
collect_statistics_interval = $((refresh * 1000))
log.console = false
log.file.level = info
EOF
  if [ ! -s "$RMQ_DIR/home/.erlang.cookie" ]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RMQ_DIR/home/.erlang.cookie"
  fi
  chmod 400 "$RMQ_DIR/home/.erlang.cookie"
  chown -R rabbitmq:rabbitmq "$RMQ_DIR"
}

start_rabbitmq() {
  if rmq_up; then
    log "RabbitMQ already answering on $LOOPBACK:$MGMT_PORT"
    return 0
  fi
  if ! pid_alive "$RMQ_PID" && ! pid_alive "$RMQ_LAUNCHER_PID"; then
    mkdir -p "$STACK_DIR"
    setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups test -x "$STACK_DIR" ||
      die "the rabbitmq user cannot reach $STACK_DIR; choose a MAIEV_STACK_DIR it can traverse"
    write_rmq_config
    rm -f "$RMQ_PID"
    log "starting RabbitMQ (logs: $RMQ_LOG, $RMQ_DIR/log)"
    SECONDS=0
    launch "$RMQ_LOG" "$SELF" _rabbitmq-server >"$RMQ_LAUNCHER_PID"
  else
    log "RabbitMQ is starting; waiting for it"
  fi
  wait_until "$RMQ_START_DEADLINE" rmq_up || {
    tail -n 20 "$RMQ_DIR"/log/*.log >&2 2>/dev/null || true
    fail_with_log RabbitMQ "$RMQ_LOG"
  }
  log "RabbitMQ ready after ${SECONDS}s"
}

stop_rabbitmq() {
  stop_pid "$RMQ_PID" RabbitMQ
  stop_pid "$RMQ_LAUNCHER_PID" "RabbitMQ launcher"
}

# epmd is started by the Erlang VM and outlives it; end it only when no node is registered.
stop_epmd() {
  local names
  names=$(rmq_env epmd -names 2>/dev/null || true)
  echo "$names" | grep -q '^name ' && return 0
  rmq_env epmd -kill >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------------------------
# Docker registry

registry_up() {
  curl -fsS --max-time "$PROBE_TIMEOUT" "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1
}

write_registry_config() {
  mkdir -p "$REG_DIR/data"
  cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $REGISTRY_ADDR
notifications:
  events:
    includereferences: true
  endpoints:
    - name: maiev
      url: $WEBHOOK_URL
      headers:
        Authorization: [Bearer $WEBHOOK_TOKEN]
      # Delivery is asynchronous; a short timeout and backoff keep an absent maiev cheap.
      timeout: 1s
      threshold: 3
      backoff: 2s
      ignoredmediatypes:
        - application/octet-stream
      ignore:
        actions:
          - pull
EOF
}

start_registry() {
  if registry_up; then
    log "registry already answering on $REGISTRY_ADDR"
    return 0
  fi
  if pid_alive "$REG_PID"; then
    log "registry (pid $(cat "$REG_PID")) is starting; waiting for it"
    wait_until "$REGISTRY_START_DEADLINE" registry_up || fail_with_log registry "$REG_LOG"
    return 0
  fi
  write_registry_config
  log "starting the registry (log: $REG_LOG, webhook: $WEBHOOK_URL)"
  SECONDS=0
  launch "$REG_LOG" docker-registry serve "$REG_DIR/config.yml" >"$REG_PID"
  wait_until "$REGISTRY_START_DEADLINE" registry_up || fail_with_log registry "$REG_LOG"
  log "registry ready after ${SECONDS}s"
}

stop_registry() { stop_pid "$REG_PID" registry; }

# ---------------------------------------------------------------------------------------------
# Several swarm nodes (start --nodes N): a swarm of N managers beside the single-node one, for
# failover tests. Node K is a dockerd in network namespace maiev-nK (its own UTS namespace, named
# maiev-nK, so nodes have distinct hostnames), its interface eth0 at $NODE_NET.K/24 linked by a
# veth pair to the bridge maiev-br0 in namespace maiev-br. Nothing of this reaches the machine's
# interfaces. In each node's namespace RabbitMQ and the registry answer on the same loopback
# addresses as on the machine (127.0.0.1:5672, :15672, :5000), through socat relays over Unix
# sockets in the state dir, and the node's Engine API also listens on tcp://127.0.0.1:2375 there,
# so a host-network container on any node reaches its own node's dockerd the same way.

NODES_DIR=$STACK_DIR/nodes
NODE_NET=${MAIEV_NODE_NET:-10.213.0}
NODE_ENGINE_PORT=2375
RELAYED_PORTS=(5672 15672 5000)
NETNS_PREFIX=maiev-

node_dir() { echo "$NODES_DIR/n$1"; }
node_ns() { echo "${NETNS_PREFIX}n$1"; }
node_cli() { docker -H "unix://$(node_dir "$1")/docker.sock" "${@:2}"; }
in_ns() { nsenter --net="/run/netns/$1" "${@:2}"; }
node_count() { find "$NODES_DIR" -mindepth 1 -maxdepth 1 -name 'n[0-9]*' 2>/dev/null | wc -l; }

node_up() {
  local sock
  sock=$(node_dir "$1")/docker.sock
  [ -S "$sock" ] &&
    curl -fsS --max-time "$PROBE_TIMEOUT" --unix-socket "$sock" http://docker/_ping >/dev/null 2>&1
}

netns_exists() { ip netns list | grep -qx "$1\( .*\)\?"; }

# The namespace of the bridge that links the nodes.
make_bridge() {
  netns_exists "${NETNS_PREFIX}br" && return 0
  ip netns add "${NETNS_PREFIX}br"
  in_ns "${NETNS_PREFIX}br" ip link add "${NETNS_PREFIX}br0" type bridge
  in_ns "${NETNS_PREFIX}br" ip link set "${NETNS_PREFIX}br0" up
}

# The namespace of node $1 and its link to the bridge.
make_node_network() {
  local ns host_end=${NETNS_PREFIX}n$1b node_end=${NETNS_PREFIX}n$1e
  ns=$(node_ns "$1")
  netns_exists "$ns" && return 0
  ip netns add "$ns"
  in_ns "$ns" ip link set lo up
  ip link add "$host_end" type veth peer name "$node_end"
  ip link set "$host_end" netns "${NETNS_PREFIX}br"
  ip link set "$node_end" netns "$ns"
  in_ns "${NETNS_PREFIX}br" ip link set "$host_end" master "${NETNS_PREFIX}br0" up
  in_ns "$ns" ip link set "$node_end" name eth0
  in_ns "$ns" ip addr add "$NODE_NET.$1/24" dev eth0
  in_ns "$ns" ip link set eth0 up
}

# The relays: one socat per port on the machine's side (a Unix socket to 127.0.0.1:PORT) and one
# per port and node inside the node's namespace (127.0.0.1:PORT to that Unix socket).
start_relays() {
  local port pidfile
  mkdir -p "$NODES_DIR/relay"
  for port in "${RELAYED_PORTS[@]}"; do
    pidfile=$NODES_DIR/relay/$port.pid
    pid_alive "$pidfile" && continue
    rm -f "$NODES_DIR/relay/$port.sock"
    launch "$NODES_DIR/relay/relay.log" socat \
      "UNIX-LISTEN:$NODES_DIR/relay/$port.sock,fork,mode=600" "TCP:$LOOPBACK:$port" >"$pidfile"
  done
  for port in "${RELAYED_PORTS[@]}"; do
    wait_until 10 test -S "$NODES_DIR/relay/$port.sock" || die "relay of port $port did not start"
  done
}

start_node_relays() {
  local dir port
  dir=$(node_dir "$1")
  for port in "${RELAYED_PORTS[@]}"; do
    pid_alive "$dir/relay-$port.pid" && continue
    launch "$dir/relay.log" nsenter --net="/run/netns/$(node_ns "$1")" socat \
      "TCP-LISTEN:$port,bind=$LOOPBACK,reuseaddr,fork" "UNIX-CONNECT:$NODES_DIR/relay/$port.sock" \
      >"$dir/relay-$port.pid"
  done
}

# Starts node $1's network, relays and dockerd; waits until its Engine answers.
start_node() {
  local dir ns
  dir=$(node_dir "$1")
  ns=$(node_ns "$1")
  node_up "$1" && return 0
  mkdir -p "$dir/data" "$dir/exec"
  make_bridge
  start_relays
  make_node_network "$1"
  start_node_relays "$1"
  if ! pid_alive "$dir/dockerd.pid"; then
    rm -f "$dir/docker.sock" "$dir/dockerd.pid" "$dir/exec/containerd/containerd.pid"
    [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
    launch "$dir/dockerd.log" nsenter --net="/run/netns/$ns" unshare --uts sh -c \
      "hostname $ns && exec dockerd --config-file $dir/daemon.json --data-root $dir/data \
        --exec-root $dir/exec --pidfile $dir/dockerd.pid -H unix://$dir/docker.sock \
        -H tcp://$LOOPBACK:$NODE_ENGINE_PORT --bridge=none --iptables=false --ip-masq=false \
        --ip6tables=false --userland-proxy=false --cgroup-parent=$ns" >/dev/null
  fi
  wait_until "$DOCKER_START_DEADLINE" node_up "$1" || fail_with_log "dockerd of node $1" "$dir/dockerd.log"
}

# start_nodes N: nodes 1..N, one swarm of N managers (node 1 initialises it, the others join).
start_nodes() {
  local n=$1 i token state
  if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 9 ]; then
    die "--nodes: expected 1 to 9, got '$n'"
  fi
  command -v socat >/dev/null || die "socat is missing (scripts/setup.sh installs it)"
  [ "$(node_count)" -le "$n" ] || die "$(node_count) nodes exist; stop-nodes first to start $n"
  SECONDS=0
  # A failed start removes what it made.
  trap 'stop_nodes' EXIT
  make_bridge
  start_relays
  # In parallel; `wait` names the jobs, as a bare `wait` would also wait for the relays.
  local jobs=()
  for i in $(seq 1 "$n"); do
    start_node "$i" &
    jobs+=($!)
  done
  for i in "${jobs[@]}"; do wait "$i" || true; done
  for i in $(seq 1 "$n"); do node_up "$i" || die "node $i did not start"; done
  state=$(node_cli 1 info --format '{{.Swarm.LocalNodeState}}')
  if [ "$state" != active ]; then
    node_cli 1 swarm init --advertise-addr "$NODE_NET.1" --listen-addr "$NODE_NET.1:2377" >/dev/null
  fi
  token=$(node_cli 1 swarm join-token -q manager)
  for i in $(seq 2 "$n"); do
    state=$(node_cli "$i" info --format '{{.Swarm.LocalNodeState}}')
    [ "$state" = active ] || node_cli "$i" swarm join --token "$token" \
      --advertise-addr "$NODE_NET.$i" --listen-addr "$NODE_NET.$i:2377" "$NODE_NET.1:2377" >/dev/null
  done
  if node_cli 1 network inspect ingress >/dev/null 2>&1; then
    echo y | node_cli 1 network rm ingress >/dev/null
  fi
  check_nodes_listen "$n"
  trap - EXIT
  log "swarm of $n managers ready after ${SECONDS}s (nodes: $NODE_NET.1-$n, sockets: $NODES_DIR/nK/docker.sock)"
}

# kill_node K: node K lost at once, as a machine that loses power: SIGKILL to every process in
# its network namespace (dockerd, containerd, the shims, host-network containers, relays) and in
# its cgroups. Its disk (the state dir) is left; start-node K brings it back.
kill_node() {
  local ns pids
  [[ ${1:-} =~ ^[0-9]+$ ]] || die "kill-node: expected a node number, got '${1:-}'"
  ns=$(node_ns "$1")
  netns_exists "$ns" || die "kill-node: no node $1"
  pids=$( (
    ip netns pids "$ns" || true
    cat /sys/fs/cgroup/*/"$ns"/*/cgroup.procs /sys/fs/cgroup/"$ns"/*/cgroup.procs 2>/dev/null || true
  ) | sort -u)
  log "killing node $1 (pids $(echo "$pids" | tr '\n' ' '))"
  # shellcheck disable=SC2086
  [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  wait_until 10 bash -c "[ -z \"\$(ip netns pids $ns)\" ]" || log "node $1 still has processes"
  rm -f "$(node_dir "$1")/docker.sock"
}

# Every node gone: processes killed, mounts under the nodes' dirs undone, namespaces (and with
# them the links) deleted, state removed. A new start makes a new swarm.
stop_nodes() {
  local ns i
  [ -d "$NODES_DIR" ] || ip netns list | grep -q "^${NETNS_PREFIX}" || return 0
  log "removing the swarm nodes"
  for ns in $(ip netns list | awk '{print $1}' | grep "^${NETNS_PREFIX}n[0-9]*$" || true); do
    i=${ns#"${NETNS_PREFIX}n"}
    kill_node "$i" 2>/dev/null || true
  done
  for i in "${RELAYED_PORTS[@]}"; do stop_pid "$NODES_DIR/relay/$i.pid" "relay of port $i"; done
  findmnt -rn -o TARGET | grep "^$NODES_DIR/" | sort -r | xargs -r -n1 umount -l
  for ns in $(ip netns list | awk '{print $1}' | grep "^${NETNS_PREFIX}" || true); do
    ip netns delete "$ns"
  done
  rm -rf "$NODES_DIR"
}

# Fails when a node's namespace has a route out of it (a default route) or a listener on an
# address other than loopback, its link, or any address (which there means those two: dockerd's
# VXLAN socket binds 0.0.0.0:4789).
check_nodes_listen() {
  local i ns bad
  for i in $(seq 1 "$1"); do
    ns=$(node_ns "$i")
    [ -z "$(in_ns "$ns" ip route show default)" ] || die "node $i has a default route"
    bad=$(in_ns "$ns" ss -H -ltun | awk '{print $5}' |
      grep -Ev "^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]|$NODE_NET\.$i|\[::ffff:$NODE_NET\.$i\]|0\.0\.0\.0|\*|\[::\]):" || true)
    [ -z "$bad" ] || die "node $i listens on other addresses: $(echo "$bad" | tr '\n' ' ')"
  done
}

nodes_status() {
  local i n
  n=$(node_count)
  for i in $(seq 1 "$n"); do
    if node_up "$i"; then
      printf '%-9s up    %s\n' "node $i" "unix://$(node_dir "$i")/docker.sock $NODE_NET.$i"
    else
      printf '%-9s down  %s\n' "node $i" "unix://$(node_dir "$i")/docker.sock $NODE_NET.$i"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# Faults

# signal_component COMPONENT SIGNAL: sends SIGNAL (KILL, STOP, CONT ...) to the process of docker
# (dockerd), rabbitmq (the Erlang VM) or registry, for fault tests. `start` brings back what a
# KILL ended; a STOP lasts until CONT. Takes no lock: a CONT must never wait behind a `start`
# that waits for the stopped component.
signal_component() {
  local file
  case ${1:-} in
    docker) file=$DOCKER_PID ;;
    rabbitmq) file=$RMQ_PID ;;
    registry) file=$REG_PID ;;
    *) die "signal: expected docker, rabbitmq or registry, got '${1:-}'" ;;
  esac
  [ -n "${2:-}" ] || die "signal $1: which signal (KILL, STOP, CONT ...)?"
  pid_alive "$file" || die "signal $1: not running"
  log "sending SIG$2 to $1 (pid $(cat "$file"))"
  kill -s "$2" "$(cat "$file")"
}

# ---------------------------------------------------------------------------------------------
# Commands

# Fails when anything of this host listens on a non-loopback TCP or UDP address, other than the
# processes listed in the exceptions (none of ours).
check_loopback_only() {
  local ours bad
  ours='dockerd|containerd|beam.smp|epmd|docker-registry|registry|worker'
  bad=$(ss -H -ltunp 2>/dev/null | awk '{print $5, $7}' |
    grep -Ev '^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]):' | grep -E "\"($ours)\"" || true)
  if [ -n "$bad" ]; then
    log "stack processes listen on non-loopback addresses:"
    echo "$bad" >&2
    return 1
  fi
}

cmd_start() {
  local nodes=
  case ${1:-} in
    --nodes) nodes=${2:-} ;;
    "") ;;
    *) die "start: unknown argument '$1' (expected --nodes N)" ;;
  esac
  mkdir -p "$STACK_DIR"
  start_docker
  start_rabbitmq
  start_registry
  check_loopback_only
  [ -z "$nodes" ] || start_nodes "$nodes"
  log "stack ready in $STACK_DIR"
}

cmd_stop() {
  stop_nodes
  stop_registry
  stop_rabbitmq
  stop_epmd
  stop_docker
  if [ "${1:-}" = --purge ]; then
    log "removing $STACK_DIR"
    # dockerd leaves the swarm's network namespace bind-mounted under its exec root.
    findmnt -rn -o TARGET | grep "^$STACK_DIR/" | sort -r | xargs -r -n1 umount -l
    rm -rf "$STACK_DIR"
    # The swarm's docker_gwbridge outlives dockerd; remove it unless another dockerd runs.
    if ip link show docker_gwbridge >/dev/null 2>&1 && ! pgrep -x dockerd >/dev/null; then
      ip link delete docker_gwbridge || true
    fi
  fi
}

cmd_status() {
  local rc=0
  report() {
    if "$2"; then
      printf '%-9s up    %s\n' "$1" "$3"
    else
      printf '%-9s down  %s\n' "$1" "$3"
      rc=3
    fi
  }
  report dockerd docker_up "unix://$DOCKER_SOCK"
  if docker_up; then
    printf '%-9s %-5s %s\n' swarm "$(docker_cli info --format '{{.Swarm.LocalNodeState}}')" "$SWARM_ADDR"
  fi
  report rabbitmq rmq_up "amqp://$LOOPBACK:$AMQP_PORT http://$LOOPBACK:$MGMT_PORT"
  report registry registry_up "http://$REGISTRY_ADDR"
  nodes_status
  return $rc
}

cmd_env() {
  cat <<EOF
export MAIEV_STACK_DIR=$STACK_DIR
export DOCKER_HOST=unix://$DOCKER_SOCK
export RABBITMQ_HOST=$LOOPBACK
export RABBITMQ_PORT=$AMQP_PORT
export RABBITMQ_VHOST=/
export RABBITMQ_USER=$RMQ_USER
export RABBITMQ_PASSWORD=$RMQ_PASSWORD
export RABBITMQ_MANAGEMENT_URL=http://$LOOPBACK:$MGMT_PORT
export MAIEV_REGISTRY=$REGISTRY_ADDR
EOF
}

usage() {
  cat >&2 <<EOF
usage: $0 COMMAND
  start [--nodes N]   start dockerd (swarm), RabbitMQ and the registry; skips what answers;
                      --nodes N: also a swarm of N managers, each in a network namespace
  stop [--purge]      remove swarm services, stop what start started; --purge deletes the state
  status              print each component up/down (exit 3 when one is down)
  env                 print export lines for DOCKER_HOST, RABBITMQ_*, MAIEV_REGISTRY
  clean               remove every swarm service
  start-rabbitmq | stop-rabbitmq | restart-rabbitmq
  start-docker | stop-docker | restart-docker
  start-registry | stop-registry | restart-registry
  signal docker|rabbitmq|registry SIGNAL  send KILL, STOP, CONT ... (fault tests)
  start-nodes N | stop-nodes               the swarm of N managers alone
  kill-node K | start-node K               SIGKILL everything of node K / bring it back
  node K ARGS...      run the docker CLI against node K's dockerd
  rabbitmqctl ARGS... run rabbitmqctl against the stack's node
  docker ARGS...      run the docker CLI against the stack's dockerd
state dir: $STACK_DIR (MAIEV_STACK_DIR)
EOF
  exit 2
}

# One stack command at a time changes the stack: concurrent callers (parallel test runs) wait.
LOCK_DEADLINE=600
take_lock() {
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  flock -w "$LOCK_DEADLINE" 9 || die "another stack.sh holds $STACK_DIR/.lock"
}

[ $# -ge 1 ] || usage
command=$1
shift
case $command in
  start | stop | clean | start-* | stop-* | restart-* | kill-node) take_lock ;;
esac
case $command in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status ;;
  env) cmd_env ;;
  clean) docker_up && remove_services ;;
  start-rabbitmq) start_rabbitmq ;;
  stop-rabbitmq) stop_rabbitmq ;;
  restart-rabbitmq) stop_rabbitmq && start_rabbitmq ;;
  start-docker) start_docker ;;
  stop-docker) stop_pid "$DOCKER_PID" dockerd ;;
  restart-docker) stop_pid "$DOCKER_PID" dockerd && start_docker ;;
  start-registry) start_registry ;;
  stop-registry) stop_registry ;;
  restart-registry) stop_registry && start_registry ;;
  signal) signal_component "$@" ;;
  start-nodes) start_nodes "${1:-}" ;;
  stop-nodes) stop_nodes ;;
  kill-node) kill_node "${1:-}" ;;
  start-node)
    [[ ${1:-} =~ ^[0-9]+$ ]] || die "start-node: expected a node number, got '${1:-}'"
    [ -d "$(node_dir "$1")" ] || die "start-node: no node $1"
    start_node "$1"
    ;;
  node) node_cli "${1:?node K ARGS...}" "${@:2}" ;;
  rabbitmqctl) rabbitmqctl_cmd "$@" ;;
  _rabbitmq-server) RMQ_EXEC="exec" as_rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server ;;
  docker) docker_cli "$@" ;;
  *) usage ;;
esac
