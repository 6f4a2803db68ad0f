#!/usr/bin/env bash
# Install and start the database services used by tests/repro/{postgres,redis,celery}.
#
# Runs as root on Debian 12 (CI runs it before the tests, CI=true, no stdin). Idempotent: running it
# twice, or with the services already up, is fine. Every wait is bounded.
#
# What it leaves running (all on 127.0.0.1 only):
#   PostgreSQL cluster "main"   port 5432  ssl=on (self-signed), role kb/kb, database kb_test
#                                          -> KB_TEST_PG_DSN=postgresql://kb:kb@127.0.0.1:5432/kb_test
#   PostgreSQL cluster "kbaux"  port 5433  deliberately misconfigured for connection-error repros:
#                                          ssl=off, max_connections=4 (1 reserved for superusers),
#                                          pg_hba: only database kb_trust over TCP (trust auth)
#                                          -> KB_TEST_PG_AUX_PORT=5433
#   pgbouncer                   port 6432  pool_mode=transaction, default_pool_size=1, kb/kb -> kb_test
#                                          -> KB_TEST_PGBOUNCER_DSN=postgresql://kb:kb@127.0.0.1:6432/kb_test
#   redis-server                port 6379  no password, no persistence
#                                          -> KB_TEST_REDIS_URL=redis://127.0.0.1:6379/0
# Redis instances with special settings (requirepass, maxmemory, replicas, cluster) are started by
# the tests themselves from the redis-server binary installed here.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

log() { echo "services.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"

APT=(apt-get -q -y -o DPkg::Lock::Timeout=600
     -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# --- install -----------------------------------------------------------------------------------
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools)
command -v pgbouncer >/dev/null 2>&1 || need+=(pgbouncer)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${#need[@]}" -gt 0 ]; then
    log "installing ${need[*]}"
    "${APT[@]}" update >/dev/null
    "${APT[@]}" install --no-install-recommends "${need[@]}" >/dev/null
fi

PGVER=$(ls /usr/lib/postgresql | sort -V | tail -n1)
PGBIN=/usr/lib/postgresql/$PGVER/bin
as_pg() { runuser -u postgres -- "$@"; }

# --- PostgreSQL cluster "main" (5432) ----------------------------------------------------------
if [ ! -d "/etc/postgresql/$PGVER/main" ]; then
    log "creating cluster $PGVER/main"
    pg_createcluster -p 5432 "$PGVER" main >/dev/null
fi
MAIN=/etc/postgresql/$PGVER/main
if [ ! -s "$MAIN/kb-server.key" ]; then
    openssl req -new -x509 -days 3650 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$MAIN/kb-server.key" -out "$MAIN/kb-server.crt" >/dev/null 2>&1
    chown postgres:postgres "$MAIN/kb-server.key" "$MAIN/kb-server.crt"
    chmod 600 "$MAIN/kb-server.key"
fi
mkdir -p "$MAIN/conf.d"
cat > "$MAIN/conf.d/kb-tests.conf" <<CONF
# written by .ci/services.sh
listen_addresses = '127.0.0.1'
port = 5432
ssl = on
ssl_cert_file = '$MAIN/kb-server.crt'
ssl_key_file = '$MAIN/kb-server.key'
max_connections = 100
CONF
chown -R postgres:postgres "$MAIN/conf.d"

# --- PostgreSQL cluster "kbaux" (5433): misconfigured on purpose ---------------------------------
if [ ! -d "/etc/postgresql/$PGVER/kbaux" ]; then
    log "creating cluster $PGVER/kbaux"
    pg_createcluster -p 5433 "$PGVER" kbaux >/dev/null
fi
AUX=/etc/postgresql/$PGVER/kbaux
mkdir -p "$AUX/conf.d"
cat > "$AUX/conf.d/kb-tests.conf" <<CONF
# written by .ci/services.sh: a small server for connection-error reproductions
listen_addresses = '127.0.0.1'
port = 5433
ssl = off
max_connections = 4
superuser_reserved_connections = 1
CONF
cat > "$AUX/pg_hba.conf" <<CONF
# written by .ci/services.sh: only database kb_trust is reachable over TCP (no password);
# every other database/host combination has no pg_hba.conf entry on purpose.
local   all        postgres                 peer
host    kb_trust   all        127.0.0.1/32  trust
CONF
chown -R postgres:postgres "$AUX/conf.d" "$AUX/pg_hba.conf"

start_cluster() {  # version name port
    if pg_ctlcluster "$1" "$2" status >/dev/null 2>&1; then
        pg_ctlcluster "$1" "$2" reload >/dev/null 2>&1 || true
        # settings such as max_connections/listen_addresses need a restart to apply
        local want have
        want=$(grep -E '^max_connections' "/etc/postgresql/$1/$2/conf.d/kb-tests.conf" | tr -dc 0-9)
        have=$(as_pg psql -p "$3" -tAc 'SHOW max_connections' 2>/dev/null || echo "?")
        if [ "$want" != "$have" ]; then
            log "restarting cluster $1/$2 to apply settings"
            pg_ctlcluster "$1" "$2" restart
        fi
    else
        log "starting cluster $1/$2"
        pg_ctlcluster "$1" "$2" start
    fi
}
start_cluster "$PGVER" main 5432
start_cluster "$PGVER" kbaux 5433

wait_pg() {  # port
    local i
    for i in $(seq 1 60); do
        if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$1" -U kb -d "${2:-kb_test}" -t 1; then return 0; fi
        sleep 0.5
    done
    die "PostgreSQL on 127.0.0.1:$1 not ready after 30 s"
}
wait_pg 5432
wait_pg 5433 kb_trust

ensure_role_db() {  # port role password database...
    local port=$1 role=$2 pw=$3; shift 3
    as_pg psql -q -p "$port" -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN PASSWORD '$pw';
  ELSE
    ALTER ROLE $role LOGIN PASSWORD '$pw';
  END IF;
END \$\$;
SQL
    local db
    for db in "$@"; do
        if [ "$(as_pg psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
            as_pg createdb -p "$port" -O "$role" "$db"
        fi
    done
}
ensure_role_db 5432 kb kb kb_test
ensure_role_db 5433 kb kb kb_trust

# --- pgbouncer (6432), transaction pooling in front of main ------------------------------------
mkdir -p /etc/pgbouncer /var/log/postgresql /run/postgresql
cat > /etc/pgbouncer/kb-tests.ini <<CONF
; written by .ci/services.sh
[databases]
kb_test = host=127.0.0.1 port=5432 dbname=kb_test

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6432
unix_socket_dir =
auth_type = plain
auth_file = /etc/pgbouncer/kb-tests-users.txt
pool_mode = transaction
admin_users = kb
default_pool_size = 1
max_client_conn = 50
server_tls_sslmode = disable
ignore_startup_parameters = extra_float_digits
pidfile = /run/postgresql/kb-pgbouncer.pid
logfile = /var/log/postgresql/kb-pgbouncer.log
CONF
echo '"kb" "kb"' > /etc/pgbouncer/kb-tests-users.txt
chown postgres:postgres /etc/pgbouncer/kb-tests.ini /etc/pgbouncer/kb-tests-users.txt
chmod 640 /etc/pgbouncer/kb-tests-users.txt
chown postgres:postgres /run/postgresql
PGB_PID=$(cat /run/postgresql/kb-pgbouncer.pid 2>/dev/null || true)
if [ -n "$PGB_PID" ] && kill -0 "$PGB_PID" 2>/dev/null; then
    # ours is already running: reload the config (SIGHUP) so edits above take effect
    kill -HUP "$PGB_PID"
else
    # a packaged pgbouncer service (started by the package on systemd hosts) would hold 6432
    systemctl stop pgbouncer >/dev/null 2>&1 || service pgbouncer stop >/dev/null 2>&1 || true
    log "starting pgbouncer"
    rm -f /run/postgresql/kb-pgbouncer.pid
    as_pg pgbouncer -q -d /etc/pgbouncer/kb-tests.ini
fi
wait_pg 6432

# --- redis-server (6379) -----------------------------------------------------------------------
if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" != PONG ]; then
    log "starting redis-server"
    mkdir -p /var/lib/redis /var/log/redis
    chown redis:redis /var/lib/redis /var/log/redis 2>/dev/null || true
    runuser -u redis -- redis-server --bind 127.0.0.1 --port 6379 --daemonize yes \
        --save '' --appendonly no --dir /var/lib/redis \
        --logfile /var/log/redis/kb-redis.log --pidfile /var/lib/redis/kb-redis.pid
    for i in $(seq 1 60); do
        [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ] && break
        [ "$i" = 60 ] && die "redis on 127.0.0.1:6379 not ready after 30 s"
        sleep 0.5
    done
fi

log "ready: postgres 5432 (main), 5433 (kbaux), pgbouncer 6432, redis 6379"
