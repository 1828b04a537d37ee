#!/usr/bin/env bash
# Packaging test: `cmake --install` into a fresh prefix, check the installed
# tree, build examples/consumer against it with CMake (find_package) and with
# its Makefile (pkg-config), outside the source and build trees, and run
# both against real device servers started from the installed tree.
#
#   install_consume.sh SOURCE_DIR BUILD_DIR LIBDIR VERSION
#
# LIBDIR is CMAKE_INSTALL_LIBDIR (lib or lib/<multiarch>); VERSION the
# project version. Needs the Tango database (ctest fixture tango_db).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
parse_args "$@"

make_tmp install
PREFIX=$TMP/prefix
LIB=$PREFIX/$LIBDIR_REL

# ---- install ---------------------------------------------------------------
say "cmake --install $BUILD --prefix $PREFIX"
cmake --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" ||
  { cat "$TMP/install.log" >&2; die "cmake --install failed"; }

# ---- the installed tree ------------------------------------------------------
say "checking the installed tree"
for exe in lrc lrc-demo-device lrc-positioner; do
  check "bin/$exe is an executable" test -x "$PREFIX/bin/$exe"
done
for h in "$SRC"/include/lrc/*.h; do
  cmp -s "$h" "$PREFIX/include/lrc/$(basename "$h")" ||
    die "header include/lrc/$(basename "$h") missing or different"
done
say "ok: all $(ls "$SRC"/include/lrc/*.h | wc -l) headers of include/lrc/ installed"
check "man page share/man/man1/lrc.1" test -f "$PREFIX/share/man/man1/lrc.1"

for l in lrc lrc_server; do
  real=$LIB/lib$l.so.$VERSION
  check "$LIBDIR_REL/lib$l.so.$VERSION is a file" test -f "$real" -a ! -L "$real"
  [[ $(readlink "$LIB/lib$l.so.0") == "lib$l.so.$VERSION" ]] ||
    die "lib$l.so.0 is not a symlink to lib$l.so.$VERSION"
  [[ $(readlink "$LIB/lib$l.so") == "lib$l.so.0" ]] ||
    die "lib$l.so is not a symlink to lib$l.so.0"
  [[ $(soname "$real") == "lib$l.so.0" ]] || die "SONAME of $real is '$(soname "$real")'"
  say "ok: lib$l.so -> lib$l.so.0 -> lib$l.so.$VERSION, SONAME lib$l.so.0"
done
for f in "$PREFIX/bin/lrc" "$PREFIX/bin/lrc-demo-device" "$PREFIX/bin/lrc-positioner" \
         "$LIB/liblrc.so.$VERSION" \
         "$LIB/liblrc_server.so.$VERSION"; do
  rp=$(runpath "$f")
  [[ $rp == *'$ORIGIN'* ]] || die "$f: RUNPATH '$rp' has no \$ORIGIN"
  [[ $rp != *"$BUILD"* && $rp != *"$SRC"* ]] || die "$f: RUNPATH '$rp' points into the build"
done
say "ok: installed binaries have \$ORIGIN RUNPATHs, none into the build tree"

CMAKEDIR=$LIB/cmake/lrc
for f in lrcConfig.cmake lrcConfigVersion.cmake lrcTargets.cmake; do
  check "$LIBDIR_REL/cmake/lrc/$f" test -f "$CMAKEDIR/$f"
done
if grep -n 'PkgConfig::' "$CMAKEDIR"/*.cmake; then
  die "the exported CMake targets reference the build's PkgConfig:: targets"
fi
say "ok: no PkgConfig:: targets in the exported CMake package"
if grep -n -e "$BUILD" -e "$SRC" "$CMAKEDIR"/*.cmake "$LIB"/pkgconfig/*.pc; then
  die "installed CMake/pkg-config files mention the source or build tree"
fi
say "ok: no source/build tree paths in the installed CMake and pkg-config files"

export PKG_CONFIG_PATH=$LIB/pkgconfig
for pc in lrc lrc-server; do
  check "$pc.pc exists" test -f "$LIB/pkgconfig/$pc.pc"
  check "pkg-config --validate $pc" pkg-config --validate "$pc"
  [[ $(pkg-config --modversion "$pc") == "$VERSION" ]] || die "pkg-config --modversion $pc != $VERSION"
done
[[ $(pkg-config --variable=prefix lrc) == "$PREFIX" ]] || die "lrc.pc prefix is $(pkg-config --variable=prefix lrc)"
cflags=$(pkg-config --cflags lrc) libs=$(pkg-config --libs lrc)
say "pkg-config --cflags --libs lrc: $cflags $libs"
[[ " $cflags " == *" -I$PREFIX/include "* ]] || die "lrc.pc Cflags lack -I$PREFIX/include"
[[ " $libs " == *" -L$LIB "* && " $libs " == *" -llrc "* ]] || die "lrc.pc Libs lack -L$LIB -llrc"
slibs=$(pkg-config --libs lrc-server)
say "pkg-config --libs lrc-server: $slibs"
[[ " $slibs " == *" -llrc_server "* && " $slibs " == *" -llrc "* ]] || die "lrc-server.pc Libs lack -llrc_server -llrc"
say "ok: lrc.pc and lrc-server.pc valid, version $VERSION, prefix $PREFIX"

check_ldd "$PREFIX/bin/lrc" "$LIB" liblrc.so.0
check_ldd "$PREFIX/bin/lrc-demo-device" "$LIB" liblrc_server.so.0 liblrc.so.0
check_ldd "$PREFIX/bin/lrc-positioner" "$LIB" liblrc_server.so.0 liblrc.so.0
check_ldd "$LIB/liblrc_server.so.$VERSION" "$LIB" liblrc.so.0

out=$("$PREFIX/bin/lrc" --version) || die "lrc --version exited $?"
say "lrc --version: $out"
[[ $out == *"$VERSION"* ]] || die "lrc --version does not print $VERSION"

# ---- build the consumer, outside the trees -------------------------------------
# A copy of examples/consumer: it must not reach into the repository.
cp -r "$SRC/examples/consumer" "$TMP/consumer-src"

say "building the consumer with CMake (CMAKE_PREFIX_PATH=$PREFIX)"
cmake -S "$TMP/consumer-src" -B "$TMP/consumer-cmake" -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  >"$TMP/consumer-cmake.log" 2>&1 || { cat "$TMP/consumer-cmake.log" >&2; die "consumer: cmake configure failed"; }
grep -F 'Found lrc' "$TMP/consumer-cmake.log" | sed 's/^/    /'
found=$(sed -n 's/^lrc_DIR:PATH=//p' "$TMP/consumer-cmake/CMakeCache.txt")
[[ $(readlink -f "$found") == $(readlink -f "$CMAKEDIR") ]] || die "find_package(lrc) used $found, not $CMAKEDIR"
cmake --build "$TMP/consumer-cmake" -j2 >>"$TMP/consumer-cmake.log" 2>&1 ||
  { cat "$TMP/consumer-cmake.log" >&2; die "consumer: cmake build failed"; }
say "ok: consumer built with find_package(lrc) from $found"

# The package refuses what it is not: another minor version (0.x: no API
# promise), an unknown component.
mkdir "$TMP/fp-neg"
for req in "0.2" "0.1 COMPONENTS nonesuch"; do
  printf 'cmake_minimum_required(VERSION 3.18)\nproject(neg C)\nfind_package(lrc %s REQUIRED)\n' \
    "$req" >"$TMP/fp-neg/CMakeLists.txt"
  rm -rf "$TMP/fp-neg/b"
  if cmake -S "$TMP/fp-neg" -B "$TMP/fp-neg/b" -DCMAKE_PREFIX_PATH="$PREFIX" \
       -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$TMP/fp-neg.log" 2>&1; then
    cat "$TMP/fp-neg.log" >&2; die "find_package(lrc $req REQUIRED) succeeded"
  fi
done
say "ok: find_package(lrc 0.2) and find_package(lrc COMPONENTS nonesuch) fail"

say "building the consumer with its Makefile (PKG_CONFIG_PATH=$PKG_CONFIG_PATH)"
mkdir "$TMP/consumer-make"
make -C "$TMP/consumer-make" -f "$TMP/consumer-src/Makefile" >"$TMP/consumer-make.log" 2>&1 ||
  { cat "$TMP/consumer-make.log" >&2; die "consumer: make failed"; }
sed 's/^/    /' "$TMP/consumer-make.log"
say "ok: consumer built with pkg-config"

for d in consumer-cmake consumer-make; do
  check_ldd "$TMP/$d/consumer" "$LIB" liblrc.so.0
  check_ldd "$TMP/$d/consumer-device" "$LIB" liblrc_server.so.0 liblrc.so.0
done

# ---- run them ----------------------------------------------------------------------
for d in consumer-cmake consumer-make; do
  check_consumer_noargs "$TMP/$d/consumer" "$VERSION"
done

tango_env
ID=$$
DEMO_DEV=pkg/install-demo/$ID
start_server "$PREFIX/bin/lrc-demo-device" "pkginst$ID" LrcDemo "$DEMO_DEV"
start_server "$TMP/consumer-cmake/consumer-device" "pkgcmake$ID" LrcConsumer "pkg/install-cmake/$ID"
start_server "$TMP/consumer-make/consumer-device" "pkgmake$ID" LrcConsumer "pkg/install-make/$ID"

for d in consumer-cmake consumer-make; do
  c=$TMP/$d/consumer
  check_consumer_echo "$c" "$DEMO_DEV" "hello from $d" "[0, \"hello from $d\"]"
  check_consumer_echo "$c" "pkg/install-cmake/$ID" hello '[0, "consumer-device: hello"]'
  check_consumer_echo "$c" "pkg/install-make/$ID" hello '[0, "consumer-device: hello"]'
  check_consumer_fails "$c" "pkg/no-such-device/$ID"
done
