#!/bin/sh
# jenkins-ecs-sync-plugins: run by the gate right before Jenkins starts. Afterwards
# $JENKINS_HOME/plugins holds exactly the image's plugins, byte for byte, all enabled.
#
# Why: JENKINS_HOME outlives the image (it is restored from the lineage head on every task), and
# the official image's copy_reference_file (jenkins-support at tag 2.568.2) skips an image plugin
# that is older than the installed one and never removes a plugin dropped from plugins.txt, so
# "pinned" would hold only on the first boot. Here a plugin is
#   - kept when the home's <id>.jpi has the same bytes as the image's (no re-explode, fast boot);
#   - replaced when it differs, older or newer: archive, exploded folder and markers go, the
#     image's archive comes in (copied under a temporary name, then renamed);
#   - removed when the image does not have it: .jpi/.hpi/.jpl/.hpl, its exploded folder, and its
#     .pinned, .disabled, .version_from_image and .bak files;
#   - enabled: a .disabled marker on an image plugin is deleted (the stack's JCasC needs them).
# The image's plugins are jenkins-plugin-cli's output in the ref folder, always <id>.jpi.
#
# POSIX sh (Debian's dash), like the gate. Any failure exits non-zero and the gate stops.
set -eu

ref="${JENKINS_ECS_PLUGIN_REF:-/usr/share/jenkins/ref/plugins}"
home="${JENKINS_HOME:-/var/jenkins_home}"
dir="$home/plugins"

log() {
  printf 'jenkins-ecs-sync-plugins: %s\n' "$*" >&2
}

if [ ! -d "$ref" ]; then
  log "the image has no plugin folder at $ref; refusing to start Jenkins without its plugins"
  exit 1
fi
mkdir -p "$dir"

# Everything Jenkins keeps for one plugin id, except nothing of other ids.
forget() {
  id="$1"
  rm -rf "$dir/$id"
  for ext in jpi hpi jpl hpl; do
    rm -f "$dir/$id.$ext" "$dir/$id.$ext.pinned" "$dir/$id.$ext.disabled" "$dir/$id.$ext.version_from_image"
  done
  rm -f "$dir/$id.bak"
}

in_image() {
  [ -f "$ref/$1.jpi" ]
}

kept=0
replaced=0
removed=0

# Dropped plugins: any id found in the home (archive, link, marker or exploded folder) that the
# image does not have.
# A copy cut short by an earlier crash.
rm -f "$dir"/.*.jenkins-ecs-tmp
for entry in "$dir"/*; do
  [ -e "$entry" ] || continue
  name="${entry##*/}"
  if [ -d "$entry" ]; then
    id="$name"
  else
    id="${name%%.*}"
  fi
  # Only plugin files: an id is whatever precedes the first dot of <id>.jpi and friends.
  case "$name" in
    *.jpi | *.hpi | *.jpl | *.hpl | *.pinned | *.disabled | *.version_from_image | *.bak) ;;
    *) [ -d "$entry" ] || continue ;;
  esac
  if ! in_image "$id"; then
    forget "$id"
    removed=$((removed + 1))
    log "removed $id: not in the image"
  fi
done

for src in "$ref"/*.jpi; do
  [ -f "$src" ] || continue
  name="${src##*/}"
  id="${name%.jpi}"
  if [ -f "$dir/$name" ] && cmp -s "$src" "$dir/$name" && [ ! -e "$dir/$id.hpi" ]; then
    kept=$((kept + 1))
  else
    if [ -e "$dir/$name" ] || [ -e "$dir/$id.hpi" ] || [ -e "$dir/$id" ]; then
      log "replaced $id with the image's release"
    fi
    forget "$id"
    cp "$src" "$dir/.$name.jenkins-ecs-tmp"
    mv "$dir/.$name.jenkins-ecs-tmp" "$dir/$name"
    replaced=$((replaced + 1))
  fi
  if [ -e "$dir/$name.disabled" ]; then
    rm -f "$dir/$name.disabled"
    log "enabled $id: the image's plugins are not optional"
  fi
done

log "plugins match the image: $kept kept, $replaced installed or replaced, $removed removed"
