#!/usr/bin/env bash
# Start of the kafka container (docker-compose.yml): the apache/kafka image's own start, plus what SASL
# needs (docs/decisions/0007-kafka-sasl-acls.md).
#
# 1. Writes the broker's JAAS file, which KAFKA_OPTS names: SCRAM-SHA-512 on the CLIENT and HOST listeners,
#    with the broker signing in as admin where it is a client itself; PLAIN on the CONTROLLER listener,
#    because a KRaft controller cannot use SCRAM (its credentials live in the metadata it serves).
# 2. Writes admin.properties (admin's client settings) for the healthcheck and for operators.
# 3. The first time only, on empty storage: renders server.properties from the KAFKA_* variables as the
#    image does, and formats the storage with a SCRAM-SHA-512 credential for every principal that acls.sh
#    names. Later starts leave credentials alone; change them with kafka-configs.sh (operations-docker.md).
# 4. Hands over to the image's start, /etc/kafka/docker/run. Its own format step finds the storage
#    formatted and goes on.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=acls.sh
. "$HERE/acls.sh"

CONFIG=/opt/kafka/config
ADMIN_PASSWORD=$(password_of admin)

(
  umask 077
  cat > "$CONFIG/kafka_server_jaas.conf" <<JAAS
KafkaServer {
  org.apache.kafka.common.security.scram.ScramLoginModule required
  username="admin" password="$ADMIN_PASSWORD";
};
controller.KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
  username="admin" password="$ADMIN_PASSWORD" user_admin="$ADMIN_PASSWORD";
};
JAAS
)
render_admin_config "$CONFIG/admin.properties"

if [ ! -f "${KAFKA_LOG_DIRS:?}/meta.properties" ]; then
  scram=()
  while read -r principal; do
    password=$(password_of "$principal")
    scram+=(--add-scram "SCRAM-SHA-512=[name=$principal,password=$password]")
  done < <(principals)
  # As /etc/kafka/docker/run does before it configures: defaults for what the compose file leaves unset.
  if [ -f /etc/kafka/docker/configureDefaults ]; then
    # shellcheck source=/dev/null
    . /etc/kafka/docker/configureDefaults
  fi
  /etc/kafka/docker/configure
  echo "===> Formatting the storage with SCRAM-SHA-512 credentials for: $(principals | paste -sd ' ')"
  /opt/kafka/bin/kafka-storage.sh format --cluster-id "$CLUSTER_ID" -c "$CONFIG/server.properties" "${scram[@]}"
fi

exec /etc/kafka/docker/run
