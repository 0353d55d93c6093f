#!/usr/bin/env bash
# The CTest fixture `stack`: `setup` starts the local stack and builds the workload image;
# `cleanup` stops the stack again, but only when setup had to start it, so a stack that was
# already running before the test run (a developer's, or another run's) is left alone.
# MAIEV_KEEP_STACK=1 keeps it running in any case.
# usage: stack_fixture.sh setup WORKER_BINARY | cleanup
set -euo pipefail

SCRIPTS=$(cd "$(dirname "$0")/../scripts" && pwd)
STACK_DIR=${MAIEV_STACK_DIR:-/tmp/maiev-stack}
MARKER=$STACK_DIR/started-by-test-run

case ${1:-} in
  setup)
    if ! "$SCRIPTS/stack.sh" status >/dev/null; then
      mkdir -p "$STACK_DIR"
      touch "$MARKER"
    fi
    start=$(date +%s)
    "$SCRIPTS/stack.sh" start
    echo "stack start: $(($(date +%s) - start)) s"
    start=$(date +%s)
    "$SCRIPTS/build-images.sh" --worker "$2"
    echo "image build: $(($(date +%s) - start)) s"
    ;;
  cleanup)
    if [ "${MAIEV_KEEP_STACK:-0}" = 1 ]; then
      echo "MAIEV_KEEP_STACK=1: the stack keeps running"
    elif [ -e "$MARKER" ]; then
      rm -f "$MARKER"
      "$SCRIPTS/stack.sh" stop
    else
      echo "the stack was running before this test run: left running"
    fi
    ;;
  *)
    echo "usage: $0 setup WORKER_BINARY | cleanup" >&2
    exit 2
    ;;
esac
