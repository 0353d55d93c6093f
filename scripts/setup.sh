#!/usr/bin/env bash
# Installs every build, test and runtime dependency of maiev from Debian's packages.
# Idempotent: packages already present are skipped by apt-get. Run as root on Debian 12.
set -euo pipefail

packages=(
  # toolchain and checks
  build-essential cmake ninja-build pkg-config git clang-format clang-tidy
  # the sanitizer build and the fuzz targets (clang and its libFuzzer runtime)
  clang libclang-rt-14-dev
  # libraries
  nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libcpp-httplib-dev libspdlog-dev
  libfmt-dev libcli11-dev libsqlite3-dev librabbitmq-dev libgtest-dev libgmock-dev
  libbenchmark-dev libcadical-dev
  # the real components used by integration and end-to-end tests
  docker.io rabbitmq-server docker-registry
  # the browser of the web page's test (headless; nothing is downloaded at run time)
  chromium
  # tools the scripts and tests use (tmux: the terminal view's test)
  curl procps python3 iproute2 tmux openssl
  # the relays of the multi-node swarm (scripts/stack.sh start --nodes N)
  socat
  # the API's load in bench/daemon_load_bench --api-load (docs/RELIABILITY.md, "Load")
  wrk
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# The web page is built with npm (docs/WEB.md). The machine image brings Node 20 and npm; Debian's
# packages only where there is no npm at all.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
