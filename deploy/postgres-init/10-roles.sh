#!/bin/sh
# Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d): the
# owner and app roles of services/db_roles.py, as `sirisma db roles` creates them. The owner
# owns the database and runs `sirisma migrate`; every service runs as the app role.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v owner_password="$POSTGRES_OWNER_PASSWORD" \
  -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
CREATE ROLE sirisma_owner LOGIN PASSWORD :'owner_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
CREATE ROLE sirisma_app LOGIN PASSWORD :'app_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER DATABASE :"db" OWNER TO sirisma_owner;
ALTER SCHEMA public OWNER TO sirisma_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
