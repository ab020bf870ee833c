#!/usr/bin/env bash
# First start of the postgres container (docker-compose.yml; the image runs /docker-entrypoint-initdb.d/*
# once, on an empty volume): one role and one database per service, as infra/launcher.py provisions them
# outside Docker (decision 0011). Each role owns its database and is the only one besides the superuser
# allowed to connect to it; pg_trgm is created by the superuser so migrations need no extension rights.
# A password changed in .env later changes nothing here: ALTER ROLE ... PASSWORD, then .env.
set -euo pipefail

for service in intake review dispatch notify portal; do
  variable="FD_DB_${service^^}_PASSWORD"
  password=${!variable:?$variable is not set}
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
GRANT ALL ON DATABASE :"role" TO :"role";
SQL
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$service" -c "CREATE EXTENSION IF NOT EXISTS pg_trgm"
done
