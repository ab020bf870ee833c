#!/usr/bin/env bash
# Local infrastructure without Docker: one Apache Kafka KRaft node and a PostgreSQL 15 cluster of the
# project's own.
#
#   infra/stack.sh install          fetch Kafka jars (Maven Central, cached in .cache/) and install
#                                   PostgreSQL (Debian's postgresql-15) when missing
#   infra/stack.sh start|stop|status
#
# Settings (environment):
#   FD_STATE_DIR            data, logs and pid files            (default: .data/dev)
#   FD_KAFKA_PORT           client listener on 127.0.0.1        (default: 9092)
#   FD_KAFKA_CONTROLLER_PORT KRaft controller listener          (default: 9093)
#   FD_POSTGRES_PORT        PostgreSQL listener on 127.0.0.1    (default: 15432)
#   FD_POSTGRES_FAST        1: no fsync (throw-away test clusters only)
# Everything fetched lives in .cache/ (git-ignored), so a second run starts in seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE="$ROOT/.cache"
STATE=${FD_STATE_DIR:-$ROOT/.data/dev}
KAFKA_PORT=${FD_KAFKA_PORT:-9092}
CONTROLLER_PORT=${FD_KAFKA_CONTROLLER_PORT:-9093}
PG_PORT=${FD_POSTGRES_PORT:-15432}
PG_BIN=${FD_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR="$STATE/postgres"
PG_USER=postgres
KAFKA_LIBS="$CACHE/kafka-libs"
PYTHON=${FD_PYTHON:-$ROOT/.venv/bin/python}

log() { printf '[infra] %s\n' "$*" >&2; }

install_kafka() {
  local stamp="$KAFKA_LIBS/.complete-$(sha256sum "$ROOT/infra/kafka/pom.xml" | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  log "fetching Apache Kafka from Maven Central (first run only)"
  rm -rf "$KAFKA_LIBS" && mkdir -p "$KAFKA_LIBS"
  mvn -B -q -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
  touch "$stamp"
}

install_postgres() {
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && id -u "$PG_USER" >/dev/null 2>&1 && return 0
  log "installing PostgreSQL 15 with apt (first run only)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql-15 > /dev/null
  # The package's own cluster (port 5432) is not used: the project runs a cluster of its own in $STATE.
}

run_as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }

# PostgreSQL refuses to run as root, and these machines run everything as root: the cluster runs as the
# `postgres` system user, on a folder it owns; every folder above it must let that user through.
make_traversable() {
  [ "$(id -u)" = 0 ] || return 0
  local dir=$1
  while [ "$dir" != "/" ]; do
    run_as_postgres test -x "$dir" || chmod o+x "$dir"
    dir=$(dirname "$dir")
  done
}

start_postgres() {
  local data="$PG_DIR/data"
  mkdir -p "$PG_DIR/run"
  make_traversable "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PG_DIR" "$PG_DIR/run"
  if [ ! -f "$data/PG_VERSION" ]; then
    # The superuser's password is drawn once and kept beside the cluster (0600); services get roles of
    # their own (infra/launcher.py provisions them), never this one.
    [ -f "$PG_DIR/superuser.password" ] || (umask 077; "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))' > "$PG_DIR/superuser.password")
    [ "$(id -u)" = 0 ] && chown "$PG_USER" "$PG_DIR/superuser.password"
    log "initialising a PostgreSQL cluster in $data"
    run_as_postgres "$PG_BIN/initdb" -D "$data" -U postgres --pwfile="$PG_DIR/superuser.password" \
      --auth-host=scram-sha-256 --auth-local=peer --locale=C.UTF-8 -E UTF8 > "$PG_DIR/initdb.log" 2>&1 \
      || { tail -n 20 "$PG_DIR/initdb.log" >&2; exit 1; }
  fi
  if run_as_postgres "$PG_BIN/pg_ctl" -D "$data" status > /dev/null 2>&1; then
    log "postgres already running"; return 0
  fi
  local options="-p $PG_PORT -k $PG_DIR/run -c listen_addresses=127.0.0.1 -c max_connections=400"
  options+=" -c shared_buffers=256MB -c max_wal_size=2GB"
  if [ "${FD_POSTGRES_FAST:-0}" = 1 ]; then options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
  log "starting postgres on 127.0.0.1:$PG_PORT"
  run_as_postgres "$PG_BIN/pg_ctl" -D "$data" -o "$options" -l "$PG_DIR/postgres.log" -w -t 60 start > /dev/null \
    || { tail -n 20 "$PG_DIR/postgres.log" >&2; exit 1; }
}

stop_postgres() {
  [ -f "$PG_DIR/data/PG_VERSION" ] || return 0
  run_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status > /dev/null 2>&1 || return 0
  run_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop > /dev/null && log "postgres stopped"
}

postgres_url() { echo "postgresql://postgres:$(cat "$PG_DIR/superuser.password")@127.0.0.1:$PG_PORT/postgres"; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_kafka() {
  local dir="$STATE/kafka" pidf="$STATE/kafka.pid"
  if pid_alive "$pidf"; then log "kafka already running (pid $(cat "$pidf"))"; return 0; fi
  mkdir -p "$dir/data"
  sed -e "s|@DATA@|$dir/data|" -e "s|@PORT@|$KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" \
    "$ROOT/infra/kafka/server.properties.in" > "$dir/server.properties"
  sed -e "s|@LOG_DIR@|$dir|" "$ROOT/infra/kafka/log4j2.properties" > "$dir/log4j2.properties"
  if [ ! -f "$dir/data/meta.properties" ]; then
    # The cluster id is kept with the data: a folder formatted with another id refuses to start.
    # A Kafka cluster id is 16 random bytes in URL-safe base64; one starting with "-" is refused by the
    # storage tool (it reads as an option), so draw again until it does not.
    [ -f "$dir/cluster-id" ] || "$PYTHON" -c 'import base64,uuid
while (i := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"): pass
print(i)' > "$dir/cluster-id"
    java -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
      -t "$(cat "$dir/cluster-id")" -c "$dir/server.properties" >> "$dir/format.log" 2>&1
  fi
  log "starting kafka on 127.0.0.1:$KAFKA_PORT"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$KAFKA_LIBS/*" \
    kafka.Kafka "$dir/server.properties" > "$dir/stdout.log" 2>&1 < /dev/null &
  echo $! > "$pidf"
}

stop_one() {
  local name=$1 pidf="$STATE/$1.pid"
  pid_alive "$pidf" || { rm -f "$pidf"; return 0; }
  local pid; pid=$(cat "$pidf")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in 20 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidf"
  log "$name stopped"
}

wait_ready() {
  # Ready means a real client call succeeds: a metadata request to Kafka, a query to PostgreSQL.
  "$PYTHON" "$ROOT/infra/ready.py" --kafka "127.0.0.1:$KAFKA_PORT" --postgres "$(postgres_url)" --timeout 120 \
    || { log "not ready; last lines of the logs:"; tail -n 20 "$STATE/kafka/stdout.log" "$PG_DIR/postgres.log" >&2; exit 1; }
}

case "${1:-}" in
  install) install_kafka; install_postgres ;;
  start)
    install_kafka; install_postgres
    mkdir -p "$STATE"; start_postgres; start_kafka; wait_ready
    log "ready: KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT, PostgreSQL on 127.0.0.1:$PG_PORT (superuser password in $PG_DIR/superuser.password)" ;;
  stop) stop_one kafka; stop_postgres ;;
  status)
    if pid_alive "$STATE/kafka.pid"; then echo "kafka: running (pid $(cat "$STATE/kafka.pid"))"; else echo "kafka: stopped"; fi
    if run_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status > /dev/null 2>&1; then echo "postgres: running"; else echo "postgres: stopped"; fi
    "$PYTHON" "$ROOT/infra/ready.py" --kafka "127.0.0.1:$KAFKA_PORT" --postgres "$(postgres_url)" --timeout 3 ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
