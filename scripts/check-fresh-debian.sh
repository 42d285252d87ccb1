#!/usr/bin/env bash
# Checks the README's two commands on a fresh, minimal Debian 12 (like the debian:12 image), as root:
#   sudo scripts/check-fresh-debian.sh > check.log    (about 11 minutes here; see docs/INSTALL.md)
# It builds a throwaway `debootstrap --variant=minbase bookworm` root under /var/tmp, puts a clean
# `git clone` of this repository's HEAD in it (committed work only; never the .venv) with the repository's
# sibling shared/ bind-mounted read-only beside it, then runs inside as root, with a clean environment:
#   1. ./jazzbot run </dev/null                  installs the bot, opens the console, leaves at end of input
#   2. printf '/jazz 4 bars\n' | ./jazzbot run   makes one clip (audio, MIDI, picture in out/)
#   3. ./jazzbot test                             installs everything, then ruff, mypy and the tests
# and reports pass/fail and the time of each (each output line carries the seconds since its step began).
# Every mount lives in a private mount namespace, so none outlives the check, and the tmpdir is removed
# on exit, failure or Ctrl-C. Nothing outside the tmpdir is written, except installing debootstrap on this
# host when it is missing. Exit status: 0 when all three pass.
# Settings (environment): MIRROR (default: this host's apt mirror), KEEP=1 keeps the tmpdir to look at.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

say() { printf '==> %s\n' "$*"; }

stamp() {  # prefix each line with the seconds since $1, so the log shows how long each phase took
  local line
  while IFS= read -r line; do printf '[%4d s] %s\n' "$((SECONDS - $1))" "$line"; done
}

# The second half, in the private mount namespace: build the root, mount, run the steps.
inside_main() {
  local root=$1 mirror=$2 shared=$3 start=$SECONDS
  say "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
    || { tail -20 "$root.debootstrap.log"; return 1; }
  say "minimal Debian 12 ready in $((SECONDS - start)) s ($(du -sm "$root" | cut -f1) MB)"

  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
  mount -t tmpfs tmpfs "$root/dev/shm"
  # A TLS-intercepting proxy's CA (this host's local certificates), so pip in the chroot trusts what pip
  # on this host trusts; the project's own install adds Debian's ca-certificates around it.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  fi

  mkdir -p "$root/root/work/jazzbot" "$root/root/work/shared"
  git clone --quiet --no-hardlinks "$repo" "$root/root/work/jazzbot"
  git -C "$root/root/work/jazzbot" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"
  if [ -n "$shared" ]; then
    mount --bind "$shared" "$root/root/work/shared"
    mount -o remount,bind,ro "$root/root/work/shared"
  fi

  inside() {  # a shell command in the chroot, as a fresh root login would run it
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      /bin/sh -c "cd /root/work/jazzbot && $1"
  }
  venv_size() { inside "echo \"$1: \$(du -sm .venv | cut -f1) MB in .venv\"" || true; }
  local results=() failed=0
  step() {  # step NAME COMMAND: run, time, record
    local name=$1 cmd=$2 t0=$SECONDS rc=0 took
    say "$name: $cmd"
    inside "$cmd" 2>&1 | stamp "$t0" || rc=$?
    took=$((SECONDS - t0))
    if [ "$rc" -eq 0 ]; then
      results+=("PASS  $name  $took s")
    else
      results+=("FAIL  $name  $took s (exit $rc)")
      failed=1
    fi
    say "$name: exit $rc after $took s"
  }
  step "run (stdin at EOF)" './jazzbot run </dev/null'
  venv_size "the bot alone"
  step "run (one clip)" "printf '/jazz 4 bars\\n' | ./jazzbot run && ls out/*.ogg out/*.mid out/*.png"
  step "test" './jazzbot test'
  venv_size "everything"

  say "fresh Debian 12 check of $(git -C "$repo" rev-parse --short HEAD), $((SECONDS - start)) s in all"
  printf '    %s\n' "${results[@]}"
  return "$failed"
}

host_mirror() {  # the Debian mirror this host's apt uses (deb822 or one-line sources), else deb.debian.org
  local url
  url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print u; exit } }')
  [ -n "$url" ] || url=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  echo "${url:-http://deb.debian.org/debian}"
}

# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${child:-}" ] && kill -0 "$child" 2>/dev/null; then
    # unshare ignores SIGTERM while it waits; SIGKILL makes it kill its child (--kill-child), the pid
    # namespace's first process, and with it every process and mount of the check.
    kill -KILL "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  if grep -q " $tmp/" /proc/self/mountinfo; then
    echo "check-fresh-debian: something is still mounted under $tmp; not removing it" >&2
  elif [ "${KEEP:-0}" = 1 ]; then
    echo "check-fresh-debian: kept $tmp"
  else
    rm -rf "$tmp"
    echo "check-fresh-debian: removed $tmp"
  fi
  exit "$rc"
}

# The first half, on the host: root, debootstrap, a tmpdir, and a cleanup that always runs.
host_main() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "check-fresh-debian: run as root (debootstrap, chroot and mounts need it)" >&2
    return 1
  fi
  if [ -n "$(git -C "$repo" status --porcelain)" ]; then
    echo "check-fresh-debian: note: uncommitted changes are not checked; the chroot gets HEAD"
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap on this host"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
  fi
  local mirror shared=""
  mirror=${MIRROR:-$(host_mirror)}
  [ -d "$repo/../shared" ] && shared=$(readlink -f "$repo/../shared")

  tmp=$(mktemp -d /var/tmp/jazzbot-fresh.XXXXXX)
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  say "working in $tmp"
  # --kill-child: if this script dies, everything started inside dies with the namespace and its mounts.
  unshare --mount --propagation private --fork --pid --kill-child \
    bash "$repo/scripts/check-fresh-debian.sh" --inside "$tmp/root" "$mirror" "$shared" &
  child=$!
  wait "$child"
}

# Functions first, then this one line: bash has read the whole file before anything runs, so editing the
# script during a check cannot change the running one.
if [ "${1:-}" = --inside ]; then inside_main "$2" "$3" "$4"; else host_main; fi; exit
