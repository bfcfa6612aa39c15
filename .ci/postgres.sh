#!/usr/bin/env bash
# Start the local PostgreSQL cluster and make sure the test role and database exist.
# Used by .ci/run; safe to run again. Prints the URL to use as TEST_DATABASE_URL.
set -euo pipefail
service postgresql start >/dev/null
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='ecabinet'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE ecabinet LOGIN PASSWORD 'ecabinet'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='ecabinet_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O ecabinet ecabinet_test"
echo "postgresql://ecabinet:ecabinet@127.0.0.1:5432/ecabinet_test"
