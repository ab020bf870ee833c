#!/usr/bin/env bash
# Who may do what on fiscaldesk's Kafka: the SCRAM principals and their ACLs, as data, in this one place
# (docs/decisions/0007-kafka-sasl-acls.md). docker-compose runs it in the one-shot `kafka-acls` job;
# kafka-entrypoint.sh sources it for the list of principals and their passwords.
#
#   acls.sh apply                 add every ACL below that the broker does not hold yet
#   acls.sh list                  the ACLs the broker holds now
#   acls.sh revoke-vendor ID      remove the ACLs of VENDOR_ACLS for vendor ID (its own); apply never
#                                 removes anything
#   acls.sh principals            the SCRAM principals, one per line: admin, the services, the vendors
#
# Environment:
#   FD_KAFKA_ADMIN_PASSWORD  password of the super user `admin`; apply and list sign in as admin
#   KAFKA_BOOTSTRAP          broker                                  (default kafka:9092)
#   KAFKA_ACLS               the kafka-acls command                  (default /opt/kafka/bin/kafka-acls.sh)
#   FD_TOPIC_PREFIX          topic prefix                            (default fiscaldesk, as shared/topics.py)
#   FD_VENDORS               vendor ids, space-separated             (default: shared/orgtree.py's VENDORS)
#
# Everything not granted here is denied (allow.everyone.if.no.acl.found=false). `admin` is the only
# super user and needs no ACLs. Passwords come from FD_KAFKA_<NAME>_PASSWORD, NAME in capitals with "-"
# as "_" (FD_KAFKA_VENDOR_A_PASSWORD); see .env.example.
set -euo pipefail

PREFIX=${FD_TOPIC_PREFIX:-fiscaldesk}
SERVICES=(intake review dispatch notify portal)
read -r -a VENDORS <<< "${FD_VENDORS:-vendor-a vendor-b}"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ── The ACLs ──────────────────────────────────────────────────────────────────────────────────────────
# One line per grant: principals (comma-separated, without "User:"), operations (comma-separated),
# resource type (topic, group, cluster), pattern type (literal, prefixed), resource names (space-
# separated; the cluster has none). @P@ is the topic prefix; @V@ the vendor, in VENDOR_ACLS.
# Consumer groups are prefixed by their owner's name: a service's groups begin with the service's name
# (dispatch, dispatch-progress, dispatch-releases; portal, portal-audit), a vendor's with its vendor id.
# So no vendor id may be the beginning of another one (vendor-a and vendor-ab would share groups).
SERVICE_ACLS=$(cat <<'ACLS'
# Every service, at start, sees and creates the topics it needs (shared.bus.ensure_topics), parks the
# messages it cannot handle on the dead-letter topic, and produces with idempotence on. Describe shows a
# topic's metadata (its partitions), never its messages.
intake,review,dispatch,notify,portal   Describe,Create    topic    prefixed   @P@.
intake,review,dispatch,notify,portal   Write              topic    literal    @P@.dead-letter
intake,review,dispatch,notify,portal   IdempotentWrite    cluster  literal
# Every instance reads the sessions the portal ended, whole and without a consumer group (shared/sessions.py).
intake,review,dispatch,notify,portal   Read               topic    literal    @P@.sessions

# Each service its own consumer groups.
intake      Read    group   prefixed   intake
review      Read    group   prefixed   review
dispatch    Read    group   prefixed   dispatch
notify      Read    group   prefixed   notify
portal      Read    group   prefixed   portal

# intake: publishes submissions; hears of returned and rejected requirements and of directory changes.
intake      Write   topic   literal    @P@.requirements
intake      Read    topic   literal    @P@.review-events @P@.directory
# review: reads submissions and problem reports, and its own splits (to open the parts, group review-split);
# opens review tasks per level, publishes its decisions and the problem cases' steps. A level deployment
# (decision 0016) reads its level's review tasks (groups review-<level>[-<area>], review-open-...).
review      Read    topic   literal    @P@.requirements @P@.review-events @P@.review-tasks.county @P@.review-tasks.city @P@.review-tasks.region
review      Write   topic   literal    @P@.review-tasks.county @P@.review-tasks.city @P@.review-tasks.region @P@.review-events @P@.problem-events
# dispatch: confirmed requirements, its own releases, problems ready for a work order, the directory (a vendor
# added: dispatch creates its topics); writes its state changes. Every vendor's work orders and progress, by
# prefix: a vendor added at run time needs no grant of dispatch's (docs/decisions/0015).
dispatch    Read    topic   literal    @P@.review-events @P@.dispatch-events @P@.problem-events @P@.directory
dispatch    Write   topic   literal    @P@.dispatch-events
dispatch    Write   topic   prefixed   @P@.work-orders.
dispatch    Read    topic   prefixed   @P@.vendor-progress.
# notify: every ticket event, comments included, and every vendor's work orders (by prefix, as dispatch); writes
# notifications.
notify      Read    topic   literal    @P@.requirements @P@.review-tasks.county @P@.review-tasks.city @P@.review-tasks.region @P@.review-events @P@.dispatch-events @P@.problem-events @P@.comments
notify      Read    topic   prefixed   @P@.work-orders.
notify      Write   topic   literal    @P@.notifications
# portal: the timelines and the audit log read everything; it publishes changes of the org directory, ended
# sessions, sign-ins, lockouts and reused refresh tokens (accounts: for the audit trail), and comments on tickets.
portal      Read    topic   prefixed   @P@.
portal      Write   topic   literal    @P@.directory @P@.sessions @P@.accounts @P@.comments
ACLS
)

VENDOR_ACLS=$(cat <<'ACLS'
# A vendor reads its own work-orders topic and no other, and writes its own progress topic and nothing else.
# These four are all a new vendor needs: dispatch, notify and the portal hold theirs on every vendor's topics
# by prefix, and dispatch creates the two topics when the vendor is added to the org directory.
@V@         Read,Describe     topic    literal    @P@.work-orders.@V@
@V@         Read              group    prefixed   @V@
@V@         Write,Describe    topic    literal    @P@.vendor-progress.@V@
@V@         IdempotentWrite   cluster  literal
ACLS
)
# ──────────────────────────────────────────────────────────────────────────────────────────────────────

principals() {
  printf '%s\n' admin "${SERVICES[@]}" "${VENDORS[@]}"
}

# The password of a principal, from FD_KAFKA_<NAME>_PASSWORD. Letters, digits, "_" and "-" only, at least
# 16 of them: the value goes unquoted into --add-scram and quoted into JAAS settings. Placeholders are
# refused, so the stack never runs on the example passwords.
password_of() {
  local name=$1 var value
  var="FD_KAFKA_$(tr 'a-z-' 'A-Z_' <<< "$name")_PASSWORD"
  value=${!var:-}
  if [[ ! $value =~ ^[A-Za-z0-9_-]{16,}$ ]] || [[ $value == *change-me* ]]; then
    echo "acls.sh: set $var to at least 16 letters, digits, '_' or '-' (see .env.example)" >&2
    return 1
  fi
  printf '%s' "$value"
}

# Client settings for Kafka's tools, signed in as admin: admin.properties beside this script with the
# password filled in, written with mode 0600 to $1.
render_admin_config() {
  local password
  password=$(password_of admin)
  (umask 077 && sed "s|@FD_KAFKA_ADMIN_PASSWORD@|$password|" "$HERE/admin.properties" > "$1")
}

# Grant lines with the placeholders filled in, comments and blank lines dropped: every grant, or with a
# vendor id as $1 only that vendor's.
acl_lines() {
  local vendor
  {
    if [ -z "${1:-}" ]; then
      printf '%s\n' "$SERVICE_ACLS"
      for vendor in "${VENDORS[@]}"; do printf '%s\n' "${VENDOR_ACLS//@V@/$vendor}"; done
    else
      printf '%s\n' "${VENDOR_ACLS//@V@/$1}"
    fi
  } | sed -e 's/#.*//' -e "s/@P@/$PREFIX/g" | grep -v '^[[:space:]]*$'
}

kafka_acls() {
  # shellcheck disable=SC2086 # KAFKA_ACLS may be a command with arguments (java -cp … AclCommand)
  ${KAFKA_ACLS:-/opt/kafka/bin/kafka-acls.sh} --bootstrap-server "${KAFKA_BOOTSTRAP:-kafka:9092}" \
    --command-config "$ADMIN_CONFIG" "$@"
}

# Add or remove one grant: add|remove, then a line of the tables above (principals, operations,
# resource type, pattern type, names).
grant() {
  local action=$1 who=$2 ops=$3 type=$4 pattern=$5 names=${6:-} args item output
  args=("--$action" --force --resource-pattern-type "$pattern")
  for item in ${who//,/ }; do args+=(--allow-principal "User:$item"); done
  for item in ${ops//,/ }; do args+=(--operation "$item"); done
  case $type in
    topic | group) for item in $names; do args+=("--$type" "$item"); done ;;
    cluster) args+=(--cluster) ;;
    *) echo "acls.sh: unknown resource type $type" >&2; return 1 ;;
  esac
  if ! output=$(kafka_acls "${args[@]}" 2>&1); then
    printf 'acls.sh: could not %s %s %s on %s %s:\n%s\n' "$action" "$who" "$ops" "$type" "$names" "$output" >&2
    return 1
  fi
  if [ "$action" = add ]; then action=allowed; else action=removed; fi
  echo "$action: $who  $ops  $type ($pattern)  ${names:-kafka-cluster}"
}

# The ACLs the broker holds, one "RESOURCE_TYPE name PATTERN_TYPE principal OPERATION" a line.
held_acls() {
  # shellcheck disable=SC2016 # the backquotes are kafka-acls' own text, not a command
  kafka_acls --list | sed -n \
    -e 's/^Current ACLs for resource `ResourcePattern(resourceType=\([A-Z_]*\), name=\(.*\), patternType=\([A-Z]*\))`:.*/R \1 \2 \3/p' \
    -e 's/^[[:space:]]*(principal=User:\([^,]*\), host=\*, operation=\([A-Z_]*\), permissionType=ALLOW)/A \1 \2/p' \
    | awk '$1 == "R" { resource = $2 " " $3 " " $4; next } { print resource " " $2 " " $3 }'
}

# IdempotentWrite → IDEMPOTENT_WRITE, as kafka-acls --list names operations.
# shellcheck disable=SC2001 # a regular expression, not a fixed string
upper_snake() { sed 's/\([a-z]\)\([A-Z]\)/\1_\2/g' <<< "$1" | tr '[:lower:]' '[:upper:]'; }

# Whether every ACL of one grant is among the held ones (file $HELD).
is_held() {
  local who=$1 ops=$2 type=$3 pattern=$4 names=${5:-kafka-cluster} principal op name
  for principal in ${who//,/ }; do
    for op in ${ops//,/ }; do
      for name in $names; do
        grep -qxF "$(upper_snake "$type") $name $(upper_snake "$pattern") $principal $(upper_snake "$op")" "$HELD" \
          || return 1
      done
    done
  done
}

apply() {
  local who ops type pattern names attempt=0 running=0 failed=0 skipped=0
  # The broker may still be loading its metadata: wait until admin can list the ACLs.
  until kafka_acls --list > /dev/null 2>&1; do
    attempt=$((attempt + 1))
    if [ "$attempt" -ge 30 ]; then
      echo "acls.sh: the broker at ${KAFKA_BOOTSTRAP:-kafka:9092} does not answer admin:" >&2
      kafka_acls --list >&2 || return 1
    fi
    sleep 2
  done
  # Each kafka-acls call starts a JVM (2 s or so): only for grants not yet in place, four at a time.
  HELD=$(mktemp)
  held_acls > "$HELD"
  while read -r who ops type pattern names; do
    if is_held "$who" "$ops" "$type" "$pattern" "$names"; then
      skipped=$((skipped + 1))
      continue
    fi
    grant add "$who" "$ops" "$type" "$pattern" "$names" &
    running=$((running + 1))
    if [ "$running" -ge 4 ]; then
      wait -n || failed=1
      running=$((running - 1))
    fi
  done < <(acl_lines)
  while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
  done
  if [ "$failed" -ne 0 ]; then
    echo "acls.sh: some grants failed (above)" >&2
    return 1
  fi
  rm -f "$HELD"
  echo "acls.sh: $(acl_lines | wc -l) grants in place ($skipped of them were already)"
}

revoke_vendor() {
  local who ops type pattern names
  while read -r who ops type pattern names; do
    grant remove "$who" "$ops" "$type" "$pattern" "$names"
  done < <(acl_lines "$1")
}

main() {
  case "${1:-}" in
    principals) principals ;;
    apply | list | revoke-vendor)
      [ "$1" != revoke-vendor ] || [ -n "${2:-}" ] || { echo "usage: acls.sh revoke-vendor VENDOR_ID" >&2; exit 2; }
      ADMIN_CONFIG=$(mktemp)
      trap 'rm -f "$ADMIN_CONFIG"' EXIT
      render_admin_config "$ADMIN_CONFIG"
      case $1 in
        apply) apply ;;
        list) kafka_acls --list ;;
        revoke-vendor) revoke_vendor "$2" ;;
      esac
      ;;
    *) echo "usage: acls.sh apply | list | revoke-vendor VENDOR_ID | principals" >&2; exit 2 ;;
  esac
}

# Sourced by kafka-entrypoint.sh: only the data and the functions above.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
