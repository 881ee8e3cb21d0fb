#!/usr/bin/env bash
# `docker-compose up` that documents, for real: build the image, start the stack with the
# compose defaults (offline backend, a cycle every 20 s, the DevLog in a host folder), wait
# for a document committed in that host folder, scale the generator to 3 and check that
# `codeworm status` shows 3 generator workers, check the dashboard, restart the broker and
# check that its own events reached the dashboard, then stop everything (down -v).
#
# Needs a Docker engine and docker-compose (here: ../shared/tools/docker-engine.sh, run as
# root). Exit 0 pass, 1 fail, 77 no engine (skipped). Prints how long each step took.
#   bash tests/deploy/compose_test.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "compose test: SKIP (docker-compose is not installed)"; exit 77
fi
if ! docker info >/dev/null 2>&1; then
  echo "compose test: SKIP (no Docker engine answers; ../shared/tools/docker-engine.sh starts one)"; exit 77
fi

project="cwcompose$$"
data=$(mktemp -d /tmp/cw-compose-XXXXXX)
slot=${CW_PORT_SLOT:-0}
base=$((19100 + 10 * slot))    # host ports of this run (loopback only)
export CODEWORM_COMPOSE_DATA="$data" CODEWORM_REPOS_DIR="$top"
export CODEWORM_BROKER_PORT=$base CODEWORM_EVENTS_IN_PORT=$((base + 1))
export CODEWORM_EVENTS_OUT_PORT=$((base + 2)) CODEWORM_DASHBOARD_PORT=$((base + 3))
# the compose defaults, whatever this shell has set
unset CODEWORM_LLM__BACKEND CODEWORM_SCHEDULE__INTERVAL_SECONDS CODEWORM_UID CODEWORM_GID || true
compose() { docker-compose -p "$project" "$@"; }

failures=0 passes=0
check() { # check "what" command...
  local what=$1; shift
  if "$@"; then echo "ok   - $what"; passes=$((passes + 1))
  else echo "FAIL - $what"; failures=$((failures + 1)); fi
}
finish() {
  local rc=$?
  if [ "$failures" -ne 0 ] || [ "$rc" -ne 0 ]; then
    echo "--- docker-compose ps / logs (tail)"
    compose ps || true
    compose logs --no-color --tail=30 || true
  fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap finish EXIT
now() { date +%s; }
t0=$(now)

echo "compose test: project $project, data $data, host ports $base-$((base + 3))"
compose build >"$data.build.log" 2>&1 || { tail -40 "$data.build.log"; rm -f "$data.build.log"; exit 1; }
rm -f "$data.build.log"
t_build=$(now)
echo "built the image in $((t_build - t0)) s"

compose up -d
t_up=$(now)

# the first document, committed into the host folder
devlog="$data/devlog"
first=""
for _ in $(seq 1 180); do
  n=$(git -c safe.directory='*' -C "$devlog" rev-list --count HEAD 2>/dev/null || echo 0)
  if [ "$n" -ge 2 ]; then first=yes; break; fi   # the DevLog's first commit, then a document
  sleep 1
done
t_first=$(now)
check "a document is committed in the host folder ($devlog) $((t_first - t_up)) s after up" \
  test -n "$first"
doc=$(git -c safe.directory='*' -C "$devlog" show --name-only --format= HEAD 2>/dev/null | head -1 || true)
check "the committed document is a file in the host folder: $doc" test -n "$doc" -a -r "$devlog/$doc"
git -c safe.directory='*' -C "$devlog" log --oneline | head -3 | sed 's/^/     /' || true

# --scale generator=3: every generator registers with the broker
compose up -d --no-recreate --scale generator=3
status=""
for _ in $(seq 1 90); do
  status=$(compose exec -T broker sh -c \
    'CODEWORM_BUS__BROKER=tcp://127.0.0.1:5555 codeworm --config /etc/codeworm status' 2>&1 || true)
  if echo "$status" | awk '$1 == "generator" && $2 == 3 { found = 1 } END { exit !found }'; then break; fi
  sleep 1
done
t_scale=$(now)
echo "$status" | sed 's/^/     /'
check "codeworm status shows 3 generator workers after --scale generator=3" \
  sh -c "echo \"\$0\" | awk '\$1 == \"generator\" && \$2 == 3 { f = 1 } END { exit !f }'" "$status"

# the dashboard answers on the host, from the same ledger, and sees the broker's own events
stats=$(curl -fsS "http://127.0.0.1:$((base + 3))/api/stats" || true)
check "the dashboard answers on 127.0.0.1:$((base + 3)) with the ledger's documents ($stats)" \
  sh -c "echo \"\$0\" | grep -Eq '\"total_documented\":[1-9]'" "$stats"
# the broker's own events reach subscribers: restart it while the dashboard listens
compose restart broker >/dev/null 2>&1
# in the feed (oldest first): the broker's service_stopping, then its service_started
broker_event() { echo "$1" | grep "\"type\":\"$2\"" | grep -q '"service":"broker"'; }
restarted() {
  echo "$1" | awk '/"service":"broker"/ && /"type":"service_stopping"/ { s = 1 }
                   s && /"service":"broker"/ && /"type":"service_started"/ { ok = 1 }
                   END { exit !ok }'
}
feed=""
for _ in $(seq 1 60); do
  feed=$(curl -sN --max-time 2 "http://127.0.0.1:$((base + 3))/api/events" || true)
  if restarted "$feed"; then break; fi
  sleep 1
done
check "the broker's own service_stopping reached a subscriber (the dashboard's feed)" \
  broker_event "$feed" service_stopping
check "the broker's own service_started reached it after the restart" restarted "$feed"
check "the broker publishes its events without bus_connect_failed" \
  sh -c "! docker-compose -p $project logs --no-color broker | grep -q bus_connect_failed"
for svc in broker dashboard committer; do
  id=$(compose ps -q "$svc" | head -1)
  state=""
  for _ in $(seq 1 30); do
    state=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
    [ "$state" = healthy ] && break
    sleep 1
  done
  check "the $svc container is healthy (health check: $state)" test "$state" = healthy
done

compose down -v --remove-orphans >/dev/null 2>&1
t_down=$(now)
check "docker-compose down -v removes every container of the project" \
  test -z "$(docker ps -aq --filter "label=com.docker.compose.project=$project")"
echo "timings: build $((t_build - t0)) s, first document $((t_first - t_up)) s after up," \
     "scale to 3 generators $((t_scale - t_first)) s, down $((t_down - t_scale)) s, total $((t_down - t0)) s"
echo "compose: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
