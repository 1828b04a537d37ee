#!/usr/bin/env bash
# Packaging test: build the .deb with cpack, install it with dpkg -i, check
# its contents, run the installed tools and a consumer built against /usr,
# then dpkg -r it again (also on failure), leaving the machine as it was.
#
#   deb.sh SOURCE_DIR BUILD_DIR LIBDIR VERSION
#
# Needs root (dpkg), dpkg-shlibdeps (dpkg-dev) and the Tango database (ctest
# fixture tango_db). Refuses to run if tango-lrc is already installed.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_args "$@"

PKG=tango-lrc
LIB=/usr/$LIBDIR_REL
SUDO=()
((EUID == 0)) || SUDO=(sudo)

pkg_status() { dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null || true; }

# ---- preconditions -------------------------------------------------------------
command -v dpkg-shlibdeps >/dev/null || die "dpkg-shlibdeps missing: install dpkg-dev (scripts/setup-deps)"
st=$(pkg_status)
if [[ -n $st && $st != *not-installed* ]]; then
  die "$PKG is already on this machine ('$st'): this test installs and removes it; dpkg -r $PKG first"
fi

make_tmp deb

# ---- cpack -------------------------------------------------------------------------
say "cpack -G DEB --config $BUILD/CPackConfig.cmake -B $TMP/cpack"
(cd "$BUILD" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$TMP/cpack") \
  >"$TMP/cpack.log" 2>&1 || { cat "$TMP/cpack.log" >&2; die "cpack failed"; }
mapfile -t debs < <(find "$TMP/cpack" -maxdepth 1 -name '*.deb')
((${#debs[@]} == 1)) || { cat "$TMP/cpack.log" >&2; die "expected one .deb, got: ${debs[*]:-none}"; }
DEB=${debs[0]}
say "built $(basename "$DEB")"

# ---- the package's control data ---------------------------------------------------
field() { dpkg-deb -f "$DEB" "$1"; }
dpkg-deb -I "$DEB" | sed 's/^/    /'
[[ $(field Package) == "$PKG" ]] || die "Package is '$(field Package)'"
[[ $(field Version) == "$VERSION" ]] || die "Version is '$(field Version)', not $VERSION"
[[ -n $(field Maintainer) ]] || die "no Maintainer"
[[ -n $(field Description) ]] || die "no Description"
DEPENDS=$(field Depends)
say "Depends: $DEPENDS"
for dep in libtango9 libjansson4 libc6; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$DEPENDS" || die "Depends lacks $dep"
done
say "ok: control data (package $PKG $VERSION, depends on libtango9, libjansson4, libc6)"
if dpkg-deb -c "$DEB" | grep -E -e '/usr/local/' -e "$BUILD" -e '_CPack_Packages'; then
  die "the .deb holds files outside /usr or with build paths in their names"
fi

# ---- install --------------------------------------------------------------------------
CLEANUP_HOOKS+=(remove_pkg)
remove_pkg() {
  local st; st=$(pkg_status)
  if [[ -n $st && $st != *not-installed* ]]; then
    say "dpkg -r $PKG"
    "${SUDO[@]}" dpkg -r "$PKG" >/dev/null || echo "WARNING: dpkg -r $PKG failed" >&2
    st=$(pkg_status)
    if [[ $st == *config-files* ]]; then "${SUDO[@]}" dpkg --purge "$PKG" >/dev/null; fi
  fi
}
say "dpkg -i $(basename "$DEB")"
"${SUDO[@]}" dpkg -i "$DEB" || die "dpkg -i failed"
[[ $(pkg_status) == "install ok installed" ]] || die "dpkg status after install: '$(pkg_status)'"

mapfile -t files < <(dpkg -L "$PKG")
listed() { printf '%s\n' "${files[@]}" | grep -qxF "$1"; }
expect=(/usr/bin/lrc /usr/bin/lrc-demo-device /usr/bin/lrc-positioner
        "$LIB/liblrc.so" "$LIB/liblrc.so.0" "$LIB/liblrc.so.$VERSION"
        "$LIB/liblrc_server.so" "$LIB/liblrc_server.so.0" "$LIB/liblrc_server.so.$VERSION"
        "$LIB/cmake/lrc/lrcConfig.cmake" "$LIB/cmake/lrc/lrcConfigVersion.cmake"
        "$LIB/cmake/lrc/lrcTargets.cmake"
        "$LIB/pkgconfig/lrc.pc" "$LIB/pkgconfig/lrc-server.pc")
for h in "$SRC"/include/lrc/*.h; do expect+=("/usr/include/lrc/$(basename "$h")"); done
for f in "${expect[@]}"; do
  listed "$f" || die "dpkg -L $PKG does not list $f"
  [[ -e $f ]] || die "$f listed but not on disk"
done
listed /usr/share/man/man1/lrc.1 || listed /usr/share/man/man1/lrc.1.gz ||
  die "dpkg -L $PKG does not list the man page /usr/share/man/man1/lrc.1"
say "ok: dpkg -L $PKG lists ${#expect[@]} expected files and the man page (${#files[@]} entries)"

# pkg-config and the libraries as installed, with the default search paths.
env -u PKG_CONFIG_PATH pkg-config --validate lrc || die "pkg-config --validate lrc (system) failed"
[[ $(env -u PKG_CONFIG_PATH pkg-config --variable=prefix lrc) == /usr ]] || die "installed lrc.pc prefix is not /usr"
[[ $(env -u PKG_CONFIG_PATH pkg-config --modversion lrc) == "$VERSION" ]] || die "installed lrc.pc version"
say "ok: /usr lrc.pc valid, prefix /usr, version $VERSION"
check_ldd /usr/bin/lrc "$LIB" liblrc.so.0
check_ldd /usr/bin/lrc-demo-device "$LIB" liblrc_server.so.0 liblrc.so.0

out=$(/usr/bin/lrc --version) || die "/usr/bin/lrc --version exited $?"
say "/usr/bin/lrc --version: $out"
[[ $out == *"$VERSION"* ]] || die "/usr/bin/lrc --version does not print $VERSION"

# ---- the consumer, against /usr (no CMAKE_PREFIX_PATH, no PKG_CONFIG_PATH) ---------
cp -r "$SRC/examples/consumer" "$TMP/consumer-src"
say "building the consumer with CMake against /usr"
if ! env -u CMAKE_PREFIX_PATH cmake -S "$TMP/consumer-src" -B "$TMP/consumer-cmake" \
       -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$TMP/consumer-cmake.log" 2>&1 ||
   ! cmake --build "$TMP/consumer-cmake" -j2 >>"$TMP/consumer-cmake.log" 2>&1; then
  cat "$TMP/consumer-cmake.log" >&2; die "consumer: CMake build against /usr failed"
fi
found=$(sed -n 's/^lrc_DIR:PATH=//p' "$TMP/consumer-cmake/CMakeCache.txt")
[[ $(readlink -f "$found") == $(readlink -f "$LIB/cmake/lrc") ]] ||
  die "find_package(lrc) used $found, not the package's $LIB/cmake/lrc"
say "ok: consumer built with find_package(lrc) from $found"
say "building the consumer with its Makefile against /usr"
mkdir "$TMP/consumer-make"
env -u PKG_CONFIG_PATH make -C "$TMP/consumer-make" -f "$TMP/consumer-src/Makefile" \
  >"$TMP/consumer-make.log" 2>&1 || { cat "$TMP/consumer-make.log" >&2; die "consumer: make against /usr failed"; }
say "ok: consumer built with pkg-config lrc from /usr"
for d in consumer-cmake consumer-make; do
  check_ldd "$TMP/$d/consumer" "$LIB" liblrc.so.0
  check_consumer_noargs "$TMP/$d/consumer" "$VERSION"
done

# ---- run the installed device server -------------------------------------------------
tango_env
ID=$$
DEV=pkg/deb-demo/$ID
start_server /usr/bin/lrc-demo-device "pkgdeb$ID" LrcDemo "$DEV"
for d in consumer-cmake consumer-make; do
  check_consumer_echo "$TMP/$d/consumer" "$DEV" "hello from $d" "[0, \"hello from $d\"]"
done
start_server "$TMP/consumer-cmake/consumer-device" "pkgdebc$ID" LrcConsumer "pkg/deb-consumer/$ID"
check_consumer_echo "$TMP/consumer-make/consumer" "pkg/deb-consumer/$ID" hello '[0, "consumer-device: hello"]'

# ---- CLI: `lrc invoke DEVICE Echo hello --json` ------------------------------------
# >>> The CLI check. Run last, and its failure reported only after the
# >>> removal checks, so everything else is known good when only it fails.
cli_rc=0 CLI_FAILURE=
cli_out=$(/usr/bin/lrc invoke "$DEV" Echo hello --json 2>"$TMP/cli.err") || cli_rc=$?
sed 's/^/    stdout: /' <<<"$cli_out"
sed 's/^/    stderr: /' "$TMP/cli.err"
if ((cli_rc != 0)); then
  CLI_FAILURE="CLI: /usr/bin/lrc invoke $DEV Echo hello --json exited $cli_rc (expected 0: COMPLETED OK)"
elif ! grep -q hello <<<"$cli_out" || ! grep -q COMPLETED <<<"$cli_out"; then
  CLI_FAILURE="CLI: /usr/bin/lrc invoke $DEV Echo hello --json printed no 'hello' or no 'COMPLETED'"
else
  say "ok: CLI: /usr/bin/lrc invoke $DEV Echo hello --json exit 0"
fi
[[ -z $CLI_FAILURE ]] || echo "[$(basename "$0")] FAIL (reported at the end): $CLI_FAILURE" >&2

# ---- remove -----------------------------------------------------------------------------
for s in "${STARTED_SERVERS[@]}"; do "$SRC/scripts/devserver" stop "${s% *}" "${s##* }"; done
remove_pkg
st=$(pkg_status)
[[ -z $st || $st == *not-installed* ]] || die "after dpkg -r: status '$st'"
for f in /usr/bin/lrc /usr/bin/lrc-demo-device "$LIB/liblrc.so.0" "$LIB/cmake/lrc/lrcConfig.cmake"; do
  [[ ! -e $f ]] || die "$f still there after dpkg -r"
done
say "ok: dpkg -r $PKG removed everything"

# The CLI check's verdict (see above), once the package is gone again.
[[ -z $CLI_FAILURE ]] || die "$CLI_FAILURE"
