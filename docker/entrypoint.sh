#!/bin/sh
# The container's first step before `topolab serve`. On a host with cgroup v2 only, the
# container has a cgroup namespace of its own whose root holds this very process; the kernel
# refuses to hand controllers (pids, memory, cpu) down from a group that has processes in it
# ("no internal processes"), so topolab could not give a student's shell its limits. As
# docker-in-docker does, move every process of the container's root group into a child
# group "init", then enable in the root every controller the container was given. On
# cgroup v1 (or v2 with nothing to hand down) nothing is done. Failures are said, not fatal:
# the server still runs for one person; a class then refuses to confine, saying why.
set -eu
cg=/sys/fs/cgroup
if [ -f "$cg/cgroup.controllers" ] && [ -w "$cg/cgroup.procs" ]; then
  if mkdir -p "$cg/init" 2>/dev/null; then
    # one PID per write: the kernel takes one at a time
    while read -r pid; do
      echo "$pid" > "$cg/init/cgroup.procs" 2>/dev/null || true
    done < "$cg/cgroup.procs"
  fi
  for c in $(cat "$cg/cgroup.controllers"); do
    case "$c" in
      pids|memory|cpu)
        echo "+$c" > "$cg/cgroup.subtree_control" 2>/dev/null \
          || echo "topolab entrypoint: could not enable the cgroup controller $c for confined shells" >&2
        ;;
    esac
  done
fi
exec "$@"
