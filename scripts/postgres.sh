# A throwaway PostgreSQL server for the tests, from Debian's packages: `source` this file, call
# `start_postgres`, use "$postgres_url" (a superuser on loopback, trust authentication), and call
# `stop_postgres` when done. Installs the `postgresql` package when its programs are missing.

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  postgres_dir=$(mktemp -d)
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
  local as=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$postgres_dir"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$postgres_dir/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$postgres_dir/data" -l "$postgres_dir/log" -w \
    -o "-p $port -k $postgres_dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  postgres_bin=$bin
  postgres_as=("${as[@]}")
  postgres_url="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $postgres_dir)"
}

stop_postgres() {
  "${postgres_as[@]}" "$postgres_bin/pg_ctl" -D "$postgres_dir/data" -m fast -w stop >/dev/null || true
  rm -rf "$postgres_dir"
}
