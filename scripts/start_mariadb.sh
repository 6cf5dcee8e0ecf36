#!/usr/bin/env bash
# Start a throwaway MariaDB on loopback for the test suite and print its TEST_MYSQL_URL.
# Usage: eval "$(scripts/start_mariadb.sh)"   (needs Debian's mariadb-server installed)
set -euo pipefail
dir=${MARIADB_DIR:-/tmp/cyberincident-mariadb}
port=${MARIADB_PORT:-3307}
password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
mkdir -p "$dir"
if [ ! -d "$dir/data/mysql" ]; then
  mariadb-install-db --user=root --datadir="$dir/data" --auth-root-authentication-method=socket >"$dir/install.log" 2>&1
fi
if ! mariadb-admin --socket="$dir/sock" ping >/dev/null 2>&1; then
  (mariadbd --user=root --datadir="$dir/data" --socket="$dir/sock" --port="$port" --bind-address=127.0.0.1 \
     --pid-file="$dir/pid" --log-error="$dir/error.log" --character-set-server=utf8mb4 \
     --collation-server=utf8mb4_unicode_ci --default-time-zone=+00:00 >/dev/null 2>&1 &)
  for _ in $(seq 1 60); do mariadb-admin --socket="$dir/sock" ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
mariadb --socket="$dir/sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS ci_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'ci'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER 'ci'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON ci_test.* TO 'ci'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
echo "export TEST_MYSQL_URL='mysql://ci:$password@127.0.0.1:$port/ci_test?ssl=false'"
