#!/bin/sh
# Installs the Debian packages jazzbot needs, only those missing, with a single `apt-get update`: the
# run-time ones below (FluidSynth renders the band with the General MIDI soundfont, ffmpeg encodes the
# audio) plus any named as arguments (./jazzbot adds make, python3, python3-venv and ca-certificates when
# it cannot find them). Used by ./jazzbot, the Makefile and the Dockerfile. Root installs directly; another
# user goes through sudo, or gets told what to ask an administrator for.
set -eu
runtime="fluidsynth fluid-soundfont-gm ffmpeg libfluidsynth3"

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  if [ $# -gt 0 ]; then
    echo "jazzbot: this is not a Debian system; install the equivalents of: $* $runtime" >&2
    exit 1
  fi
  echo "jazzbot: not a Debian system; make sure FluidSynth, a General MIDI soundfont and ffmpeg are installed" >&2
  exit 0
fi

missing=""
for p in "$@" $runtime; do
  case " $missing " in *" $p "*) continue ;; esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
missing=${missing# }

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
  echo "jazzbot: not root, so apt-get goes through sudo"
else
  echo "jazzbot: these Debian packages are missing: $missing" >&2
  echo "jazzbot: run this command as root, or have an administrator run: apt-get install $missing" >&2
  exit 1
fi

echo "jazzbot: installing Debian packages: $missing (and what they depend on; a minute or two on a fresh machine)"
fail() {
  echo "jazzbot: apt-get failed; as root, run: apt-get update && apt-get install $missing" >&2
  exit 1
}
$sudo apt-get update -qq || fail
# -q, not -qq: apt lists what it adds and each download, so a slow line shows progress.
# shellcheck disable=SC2086  # $missing is a list of package names
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing || fail
