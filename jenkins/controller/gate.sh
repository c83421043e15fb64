#!/bin/sh
# jenkins-ecs gate: the Jenkins container's ENTRYPOINT.
#
# Jenkins must not start until the keeper sidecar has decided that this task's volume is the
# authoritative home (built from the lineage head, or bootstrap). The keeper writes
# $RUN_DIR/authorized when it is, or $RUN_DIR/stale with a reason when it is not. This wait
# happens here, not through a container dependency, because ECS caps dependency waits at 120 s
# (see docs/protocol.md) while a stale task may wait for many minutes.
#
# Once authorized, exec the image's usual entrypoint (tini + jenkins.sh) with the arguments
# unchanged, so tini becomes PID 1 and signal handling is exactly the stock image's.
#
# POSIX sh (Debian's dash): no arrays, no `local`, no bash traps.

run_dir="${JENKINS_ECS_RUN_DIR:-/run/jenkins-ecs}"
# Overridable for tests only; production uses the jenkins/jenkins image paths.
tini="${JENKINS_ECS_GATE_TINI:-/usr/bin/tini}"
jenkins_sh="${JENKINS_ECS_GATE_JENKINS_SH:-/usr/local/bin/jenkins.sh}"
sync_plugins="${JENKINS_ECS_GATE_SYNC_PLUGINS:-/usr/local/bin/jenkins-ecs-sync-plugins}"
# Seconds between "still waiting" lines (also test-only).
log_every="${JENKINS_ECS_GATE_LOG_EVERY:-30}"

log() {
  printf 'jenkins-ecs-gate: %s\n' "$*" >&2
}

sleeper=''
on_term() {
  # Jenkins never started, so there is nothing to shut down: leave at once.
  if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; fi
  log "signal received while waiting for the keeper; Jenkins was not started, exiting"
  exit 0
}
# While this script waits it may be PID 1, which ignores signals that have no handler.
trap on_term TERM INT HUP

stale_reason() {
  # First line only, so a malformed marker cannot flood the log.
  head -n 1 "$run_dir/stale" 2>/dev/null
}

waited=0
last_stale=''
log "waiting for $run_dir/authorized from the keeper"
while [ ! -e "$run_dir/authorized" ]; do
  if [ -e "$run_dir/stale" ]; then
    reason="$(stale_reason)"
    if [ "$reason" != "$last_stale" ]; then
      log "keeper reports this volume is stale: ${reason:-no reason given}"
      last_stale="$reason"
    fi
  fi
  # Sleep in the background and `wait` for it: `wait` returns as soon as a trapped signal
  # arrives, whereas a foreground sleep would delay the trap until it finished.
  sleep 1 &
  sleeper=$!
  wait "$sleeper"
  sleeper=''
  waited=$((waited + 1))
  if [ $((waited % log_every)) -eq 0 ]; then
    if [ -e "$run_dir/stale" ]; then
      log "still waiting after ${waited}s; stale: $(stale_reason)"
    else
      log "still waiting after ${waited}s for the keeper's decision"
    fi
  fi
done

# The home is now the authoritative one: make its plugins exactly the image's (sync-plugins.sh).
if ! "$sync_plugins"; then
  log "could not make JENKINS_HOME/plugins match the image; not starting Jenkins"
  exit 1
fi
log "authorized after ${waited}s; starting Jenkins"
# exec resets the handled signals to their defaults; until then a SIGTERM still exits cleanly.
exec "$tini" -- "$jenkins_sh" "$@"
