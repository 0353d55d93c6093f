#!/usr/bin/env bash
# Builds the test workload's FROM-scratch image on the local stack's dockerd and pushes it to the
# stack's registry (see docs/STACK.md):
#   127.0.0.1:5000/maiev-worker:worker-VERSION  (species `worker`) and maiev-worker:dev
# Each version carries the labels maiev.scale_config (docker/worker/scale-config.json, compact)
# and maiev.version, so every version has its own digest. Re-runs reuse the build cache.
#
# With --maiev BINARY it also builds maiev's own FROM-scratch image (docker/maiev/Dockerfile) from
# that binary and the shared objects it needs, and pushes it as 127.0.0.1:5000/maiev:VERSION
# (VERSION: what `BINARY --version` says) and 127.0.0.1:5000/maiev:dev.
#
# usage: build-images.sh [--worker BINARY] [--version V]... [--maiev BINARY]
#        (default version: 1.0.0)
# BINARY defaults to $MAIEV_WORKER_BIN, else $MAIEV_BUILD_DIR/tools/maiev-worker
# (MAIEV_BUILD_DIR defaults to build/ in the repository).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
STACK_DIR=${MAIEV_STACK_DIR:-/tmp/maiev-stack}
REGISTRY=${MAIEV_REGISTRY:-127.0.0.1:5000}
export DOCKER_HOST=${DOCKER_HOST:-unix://$STACK_DIR/docker.sock}
# The legacy builder needs no BuildKit/buildx on the client and works with Engine 20.10.
export DOCKER_BUILDKIT=0

worker_bin=${MAIEV_WORKER_BIN:-${MAIEV_BUILD_DIR:-$REPO/build}/tools/maiev-worker}
versions=()
maiev_bin=
while [ $# -gt 0 ]; do
  case $1 in
    --maiev)
      maiev_bin=$2
      shift 2
      ;;
    --worker)
      worker_bin=$2
      shift 2
      ;;
    --version)
      versions+=("$2")
      shift 2
      ;;
    *)
      echo "usage: $0 [--worker BINARY] [--version V]... [--maiev BINARY]" >&2
      exit 2
      ;;
  esac
done
[ ${#versions[@]} -gt 0 ] || versions=(1.0.0)

log() { echo "build-images: $*" >&2; }
die() {
  log "$*"
  exit 1
}

[ -x "$worker_bin" ] || die "no worker binary at $worker_bin (build target maiev-worker, or pass --worker)"
if readelf -d "$worker_bin" 2>/dev/null | grep -q NEEDED; then
  die "$worker_bin is dynamically linked; a scratch image needs MAIEV_STATIC_WORKER=ON"
fi
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
  die "no Docker Engine at $DOCKER_HOST (run scripts/stack.sh start)"

# The build context: Dockerfile, scale config and the stripped binary. Copies keep their
# contents stable across runs, so the build cache is hit when nothing changed.
context=$STACK_DIR/build/worker
mkdir -p "$context"
cp "$REPO/docker/worker/Dockerfile" "$REPO/docker/worker/scale-config.json" "$context/"
strip -o "$context/maiev-worker.new" "$worker_bin"
if ! cmp -s "$context/maiev-worker.new" "$context/maiev-worker"; then
  mv "$context/maiev-worker.new" "$context/maiev-worker"
else
  rm "$context/maiev-worker.new"
fi
scale_config=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' \
  "$REPO/docker/worker/scale-config.json")

for version in "${versions[@]}"; do
  tag=$REGISTRY/maiev-worker:worker-$version
  log "building $tag"
  # The legacy builder's deprecation notice is noise; output is shown when a step fails.
  out=$(docker build -q --label "maiev.scale_config=$scale_config" \
    --label "maiev.version=$version" -t "$tag" "$context" 2>&1) || die "build failed: $out"
  log "pushing $tag"
  out=$(docker push -q "$tag" 2>&1) || die "push failed: $out"
done
docker tag "$REGISTRY/maiev-worker:worker-${versions[0]}" maiev-worker:dev
log "done: $(docker image inspect --format '{{.Size}}' maiev-worker:dev) bytes," \
  "$(docker image inspect --format '{{index .RepoDigests 0}}' "$REGISTRY/maiev-worker:worker-${versions[0]}")"

# maiev's image: the binary, each shared object `ldd` names (at the same path) and the loader.
build_maiev_image() {
  local bin=$1 rootfs version tag lib
  [ -x "$bin" ] || die "no maiev binary at $bin"
  version=$("$bin" --version | awk '{print $2}')
  [ -n "$version" ] || die "$bin --version printed no version"
  rootfs=$STACK_DIR/build/maiev/rootfs
  rm -rf "$rootfs"
  mkdir -p "$rootfs/usr/bin" "$rootfs/var/lib/maiev" "$rootfs/home/service/.docker" \
    "$rootfs/etc/ssl/certs" "$rootfs/tmp"
  strip -o "$rootfs/usr/bin/maiev" "$bin"
  for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  [ -f /etc/ssl/certs/ca-certificates.crt ] &&
    cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
  cp "$REPO/docker/maiev/Dockerfile" "$STACK_DIR/build/maiev/"
  tag=$REGISTRY/maiev:$version
  log "building $tag ($(du -sh "$rootfs" | cut -f1) of files)"
  out=$(docker build -q --label "maiev.version=$version" \
    -t "$tag" -t "$REGISTRY/maiev:dev" "$STACK_DIR/build/maiev" 2>&1) || die "build failed: $out"
  log "pushing $tag"
  out=$(docker push -q "$tag" 2>&1) || die "push failed: $out"
  out=$(docker push -q "$REGISTRY/maiev:dev" 2>&1) || die "push failed: $out"
  log "done: $(docker image inspect --format '{{index .RepoDigests 0}}' "$tag")"
}
[ -z "$maiev_bin" ] || build_maiev_image "$maiev_bin"
