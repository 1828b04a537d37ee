# shellcheck shell=bash
# Helpers for the packaging tests (sourced by install_consume.sh and deb.sh).
# Expects: set -euo pipefail; parse_args sets SRC, BUILD, LIBDIR_REL, VERSION.

# parse_args SOURCE_DIR BUILD_DIR LIBDIR VERSION (the tests' command line)
parse_args() {
  (($# == 4)) || { echo "usage: $0 SOURCE_DIR BUILD_DIR LIBDIR VERSION" >&2; exit 2; }
  SRC=$(cd "$1" && pwd)
  BUILD=$(cd "$2" && pwd)
  LIBDIR_REL=$3
  VERSION=$4
}

say() { echo "[$(basename "$0")] $*"; }
die() { echo "[$(basename "$0")] FAIL: $*" >&2; exit 1; }
# check DESCRIPTION COMMAND...: runs the command, dies if it fails.
check() {
  local what=$1; shift
  if "$@"; then say "ok: $what"; else die "$what"; fi
}

# The expected text of lrc_strerror(LRC_EREJECTED) (src/core/error.c).
EXPECTED_STRERROR="command rejected by the device"

# ---- temp dir and servers, cleaned up on exit ------------------------------
TMP=
declare -a STARTED_SERVERS=()   # "EXE INSTANCE"
declare -a CLEANUP_HOOKS=()     # extra commands (eval'd) run first

cleanup() {
  local rc=$?
  set +e
  local hook s exe inst
  for hook in "${CLEANUP_HOOKS[@]}"; do eval "$hook"; done
  for s in "${STARTED_SERVERS[@]}"; do
    exe=${s% *} inst=${s##* }
    "$SRC/scripts/devserver" stop "$exe" "$inst"
    timeout 10 tango_admin --delete-server "$(basename "$exe")/$inst" --with-properties \
      >/dev/null 2>&1
    # The server's log (scripts/devserver): kept when the test failed.
    ((rc != 0)) || rm -f "${LRC_STATE_DIR:-/tmp/tango-lrc-state}/server-$(basename "$exe")-$inst.log"
  done
  if [[ -n $TMP && -d $TMP ]]; then
    if ((rc != 0)) && [[ -n ${LRC_KEEP_TMP:-} ]]; then
      echo "[$(basename "$0")] keeping $TMP (LRC_KEEP_TMP)" >&2
    else
      rm -rf "$TMP"
    fi
  fi
  if ((rc == 0)); then echo "[$(basename "$0")] PASSED"; else echo "[$(basename "$0")] FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

make_tmp() { TMP=$(mktemp -d "/tmp/lrc-$1.XXXXXX"); say "temp dir $TMP"; }

tango_env() {
  "$SRC/scripts/tango-db" up
  eval "$("$SRC/scripts/tango-db" env)"
  say "TANGO_HOST=$TANGO_HOST"
}

# start_server EXE INSTANCE CLASS DEVICE: registers, starts, waits; stopped
# and unregistered on exit.
start_server() {
  STARTED_SERVERS+=("$1 $2")
  "$SRC/scripts/devserver" start "$1" "$2" "$3" "$4"
}

# ---- ELF and linking ---------------------------------------------------------
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
runpath() { readelf -d "$1" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p'; }

# check_ldd BINARY LIBDIR LIB...: every LIB (a SONAME) resolves, without
# LD_LIBRARY_PATH, to the file of that name in LIBDIR; nothing is missing.
check_ldd() {
  local bin=$1 libdir=$2; shift 2
  local out lib path
  out=$(env -u LD_LIBRARY_PATH ldd "$bin") || die "ldd $bin failed"
  if grep -q 'not found' <<<"$out"; then
    echo "$out" >&2; die "ldd $bin: unresolved libraries"
  fi
  for lib in "$@"; do
    path=$(awk -v l="$lib" '$1 == l && $2 == "=>" { print $3 }' <<<"$out")
    [[ -n $path ]] || { echo "$out" >&2; die "ldd $bin: $lib not linked"; }
    if [[ $(readlink -f "$path") != $(readlink -f "$libdir/$lib") ]]; then
      echo "$out" >&2; die "ldd $bin: $lib resolves to $path, not $libdir/$lib"
    fi
  done
  say "ok: ldd $(basename "$bin"): $* from $libdir"
}

# ---- the consumer --------------------------------------------------------------
# check_consumer_noargs BINARY VERSION
check_consumer_noargs() {
  local out
  out=$("$1") || die "$1 (no arguments) exited $?"
  echo "$out" | sed 's/^/    /'
  grep -qxF "lrc_strerror(LRC_EREJECTED): $EXPECTED_STRERROR" <<<"$out" ||
    die "$1: lrc_strerror(LRC_EREJECTED) is not '$EXPECTED_STRERROR'"
  grep -qxF "tango-lrc version: $2" <<<"$out" || die "$1: version is not $2"
  say "ok: $1 without a device"
}

# check_consumer_echo BINARY DEVICE TEXT EXPECTED_RESULT_JSON
check_consumer_echo() {
  local out rc=0
  out=$("$1" "$2" "$3") || rc=$?
  echo "    stdout: $out"
  ((rc == 0)) || die "$1 $2 '$3' exited $rc (expected 0: COMPLETED)"
  [[ $out == "$4" ]] || die "$1 $2: result '$out', expected '$4'"
  say "ok: $(basename "$1") Echo on $2 -> $out, exit 0"
}

# check_consumer_fails BINARY DEVICE: a device that does not exist gives a
# non-zero exit.
check_consumer_fails() {
  local rc=0
  "$1" "$2" x >/dev/null 2>&1 || rc=$?
  ((rc != 0)) || die "$1 $2 (no such device) exited 0"
  say "ok: $(basename "$1") on the unknown device $2 exits $rc"
}
