# Sourced by scripts/test-all: installs (Debian packages), starts and prepares a local
# PostgreSQL server for the tests, and sets LANTIAN_TEST_PG_URL. Returns non-zero if it cannot.

PG_TEST_USER=lantian_test
PG_TEST_PASSWORD=lantian_test
PG_TEST_DB=lantian_test

start_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages"
    apt_install postgresql || return 1
  fi
  local ver
  ver=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then
    as_root pg_createcluster "$ver" main >/dev/null || return 1
  fi
  if ! pg_lsclusters -h | grep -q "^$ver main .* online"; then
    as_root pg_ctlcluster "$ver" main start || return 1
  fi
  local psql=(as_root su postgres -c)
  local i
  for i in $(seq 1 30); do
    "${psql[@]}" "psql -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  "${psql[@]}" "psql -qtAc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_TEST_USER') THEN CREATE ROLE $PG_TEST_USER LOGIN CREATEDB PASSWORD '$PG_TEST_PASSWORD'; END IF; END\\\$\\\$\"" >/dev/null || return 1
  if ! "${psql[@]}" "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = '$PG_TEST_DB'\"" | grep -q 1; then
    "${psql[@]}" "psql -qc 'CREATE DATABASE $PG_TEST_DB OWNER $PG_TEST_USER'" >/dev/null || return 1
  fi
  local port
  port=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" { print $3 }')
  LANTIAN_TEST_PG_URL="postgres://$PG_TEST_USER:$PG_TEST_PASSWORD@127.0.0.1:${port:-5432}/$PG_TEST_DB"
}
