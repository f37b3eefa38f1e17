# Sourced by scripts/test-citus: builds and installs Citus 13.0.5 from ../shared/vendor/citus
# into the local PostgreSQL (once per machine), then starts a test cluster on 127.0.0.1: a
# coordinator and two workers, three PostgreSQL instances owned by the postgres user under
# $CITUS_DIR, each with shared_preload_libraries = 'citus'. Sets LANTIAN_TEST_PG_URL (the
# coordinator) and LANTIAN_TEST_CITUS_WORKERS (the workers, host:port,…), which the tests'
# per-test databases (lantian_store::testing::PgDb) read to register the workers.
# Needs as_root and apt_install from the caller. Returns non-zero if it cannot.

CITUS_VERSION=13.0.5
CITUS_TARBALL=../shared/vendor/citus/citus-$CITUS_VERSION.tar.gz
CITUS_DIR=${CITUS_DIR:-/var/lib/postgresql/lantian-citus}
CITUS_PORTS=(9700 9701 9702)
CITUS_USER=lantian_test
CITUS_PASSWORD=lantian_test

install_citus() {
  local ver
  ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -z "$ver" ]; then
    apt_install postgresql || return 1
    ver=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  fi
  PG_BIN=/usr/lib/postgresql/$ver/bin
  if [ -f "/usr/lib/postgresql/$ver/lib/citus.so" ] \
    && grep -qs "default_version = '${CITUS_VERSION%.*}" "/usr/share/postgresql/$ver/extension/citus.control"; then
    echo "Citus $CITUS_VERSION already installed for PostgreSQL $ver"
    return 0
  fi
  [ -f "$CITUS_TARBALL" ] || { echo "no $CITUS_TARBALL (../shared must be beside the project)" >&2; return 1; }
  # Debian's server headers and the libraries Citus links (lz4, zstd; curl is configured out).
  apt_install "postgresql-server-dev-$ver" build-essential liblz4-dev libzstd-dev libkrb5-dev \
    libssl-dev libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev || return 1
  local src
  src=$(mktemp -d)
  tar -xzf "$CITUS_TARBALL" -C "$src" || return 1
  local started=$SECONDS
  (
    cd "$src/citus-$CITUS_VERSION" \
      && ./configure --without-libcurl PG_CONFIG="$PG_BIN/pg_config" > "$src/configure.log" 2>&1 \
      && make -j"$(nproc)" with_llvm=no > "$src/make.log" 2>&1 \
      && as_root make install with_llvm=no > "$src/install.log" 2>&1
  ) || { tail -n 30 "$src"/*.log >&2; return 1; }
  echo "built and installed Citus $CITUS_VERSION in $((SECONDS - started)) s"
  rm -rf "$src"
}

# The instance of port $1: its data folder.
citus_node_dir() { echo "$CITUS_DIR/node-$1"; }

citus_psql() {
  local port=$1
  shift
  as_root su postgres -c "$PG_BIN/psql -h 127.0.0.1 -p $port -d postgres -qtAX -v ON_ERROR_STOP=1 -c \"$*\""
}

start_citus() {
  install_citus || return 1
  as_root mkdir -p "$CITUS_DIR" && as_root chown postgres "$CITUS_DIR" || return 1
  local port dir
  for port in "${CITUS_PORTS[@]}"; do
    dir=$(citus_node_dir "$port")
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_root su postgres -c "$PG_BIN/initdb -D $dir -A trust -U postgres -E UTF8 --locale=C.UTF-8" > /dev/null || return 1
      # Test cluster settings: loopback only, trust on loopback (the nodes connect to each
      # other without passwords), 8 shards per distributed table (the product's default
      # layout uses Citus's 32; fewer keep a test database's set-up quick).
      as_root su postgres -c "cat >> $dir/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
shared_preload_libraries = 'citus'
max_connections = 300
citus.shard_count = 8
unix_socket_directories = '$dir'
EOF
    fi
    if ! as_root su postgres -c "$PG_BIN/pg_ctl -D $dir status" > /dev/null 2>&1; then
      as_root su postgres -c "$PG_BIN/pg_ctl -D $dir -l $dir/log.txt -w start" > /dev/null || { tail -n 20 "$dir/log.txt" >&2; return 1; }
    fi
    # The tests' role is a superuser of this throw-away cluster: each test database needs
    # CREATE EXTENSION citus and its workers registered.
    citus_psql "$port" "DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$CITUS_USER') THEN CREATE ROLE $CITUS_USER LOGIN SUPERUSER PASSWORD '$CITUS_PASSWORD'; END IF; END\\\$\\\$" || return 1
  done
  LANTIAN_TEST_PG_URL="postgres://$CITUS_USER:$CITUS_PASSWORD@127.0.0.1:${CITUS_PORTS[0]}/postgres"
  LANTIAN_TEST_CITUS_WORKERS="127.0.0.1:${CITUS_PORTS[1]},127.0.0.1:${CITUS_PORTS[2]}"
  export LANTIAN_TEST_PG_URL LANTIAN_TEST_CITUS_WORKERS
}

stop_citus() {
  local port
  for port in "${CITUS_PORTS[@]}"; do
    as_root su postgres -c "$PG_BIN/pg_ctl -D $(citus_node_dir "$port") -m fast stop" > /dev/null 2>&1 || true
  done
}
