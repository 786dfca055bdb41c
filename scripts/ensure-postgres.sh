#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with a database `test` (trust auth),
# as the storage tests expect. Starts the machine's cluster if it is stopped; installs
# PostgreSQL from Debian's packages only if there is none at all. Never uses systemd.
set -euo pipefail
host=127.0.0.1 port=5432

if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
  exit 0
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -1)
echo "ensure-postgres: starting PostgreSQL $version cluster 'main'" >&2
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do
  pg_isready -q -h "$host" -p "$port" && break
  sleep 1
done
pg_isready -h "$host" -p "$port" || { echo "ensure-postgres: PostgreSQL did not come up on $host:$port" >&2; exit 1; }
# A fresh cluster may lack the trust rule for loopback TCP or the `test` database.
if ! psql -h "$host" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  hba=$(ls /etc/postgresql/"$version"/main/pg_hba.conf)
  sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  sleep 1
fi
psql -h "$host" -U postgres -d postgres -Atc "select 1 from pg_database where datname='test'" | grep -q 1 \
  || psql -h "$host" -U postgres -d postgres -c 'create database test' >/dev/null
