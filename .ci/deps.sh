# Installs what peerscope needs on Debian 12, only what is missing.
# Sourced by .ci/run and .ci/demo. Needs root (or sudo) when something is missing.

# What building the library, the tools and the demo needs (the visualizer
# included; SQLite and libpq for peerscope-record and its PostgreSQL store;
# libuv, GLib and libev with libwebsockets' plugins for the host-loop modes).
PSC_APT_BUILD=(
  build-essential meson ninja-build pkg-config python3 python3-protobuf
  protobuf-c-compiler libprotobuf-c-dev libwebsockets-dev libsodium-dev libncurses-dev
  libsqlite3-dev libpq-dev libyaml-dev libuv1-dev libwebsockets-evlib-uv
  libglib2.0-dev libwebsockets-evlib-glib libev-dev libwebsockets-evlib-ev
)
# What the tests need besides: cmocka, the JavaScript tests' Node.js, the
# tools' shell tests, TLS certificates, the browser, the sqlite3 shell and
# a PostgreSQL server (the recorder's tests start their own), clang with
# its libFuzzer runtime for .ci/fuzz, and Prometheus (promtool and the
# server the /metrics round trip starts).
PSC_APT_TEST=(
  libcmocka-dev nodejs npm jq tmux openssl ca-certificates curl chromium sqlite3 postgresql
  clang libclang-rt-14-dev prometheus
)

psc_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "peerscope: need root to run: $*" >&2; return 1
  fi
}

# psc_install_deps [build|libp2p]: everything (the default), only what
# building needs, or that and Node.js with npm (the js-libp2p network).
psc_install_deps() {
  local want=("${PSC_APT_BUILD[@]}")
  case "${1:-all}" in
    build) ;;
    libp2p) want+=(nodejs npm) ;;
    *) want+=("${PSC_APT_TEST[@]}") ;;
  esac
  local missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  # A machine with its own Node.js (not Debian's) needs neither nodejs nor npm from apt.
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    local keep=()
    for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || keep+=("$p"); done
    missing=("${keep[@]}")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "peerscope: installing ${missing[*]}"
    psc_as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive psc_as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# npm packages of the JavaScript tests (locked in package-lock.json).
psc_install_node_deps() {
  local dir
  for dir in "$@"; do
    [ -f "$dir/package-lock.json" ] || continue
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    fi
  done
}
