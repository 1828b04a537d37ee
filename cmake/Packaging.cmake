# CPack: the .deb package.
#
#   cpack -G DEB                       (in the build directory)
#   cpack -G DEB -B /tmp/out           (package and staging elsewhere)
#
# One package, tango-lrc, with everything `cmake --install` puts in place
# (libraries, tools, headers, CMake package, pkg-config files, man page),
# installed under /usr. Its Depends come from dpkg-shlibdeps (dpkg-dev):
# libtango9, libjansson4, libc6, ...
set(CPACK_PACKAGE_NAME "tango-lrc")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "tango-lrc developers")
set(CPACK_PACKAGE_CONTACT "tango-lrc developers <tango-lrc@example.org>"
    CACHE STRING "Maintainer of the .deb (Name <email>)")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Long running commands (SKA LRC protocol) on Tango control systems")
set(CPACK_PACKAGE_DESCRIPTION
"tango-lrc implements the long running commands (LRCs) of SKA's\n\
ska-tango-base on Tango control systems, in C: a client library (liblrc)\n\
wire-compatible with ska-tango-base devices speaking LRC protocol v1 and v2,\n\
a server kit (liblrc_server) for writing LRC-capable Tango devices in C,\n\
the command-line tool lrc, the demo device server lrc-demo-device and the\n\
example device server lrc-positioner (a simulated motor axis).\n\
Includes the headers, the CMake package (find_package(lrc)) and the\n\
pkg-config files (lrc, lrc-server).")

set(CPACK_GENERATOR "DEB")
# Install with DESTDIR=<staging> and CMAKE_INSTALL_PREFIX=/usr, so the
# pkg-config files (written at install time) say prefix=/usr. With DESTDIR,
# CPack takes the prefix from CPACK_INSTALL_PREFIX.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_NAME "tango-lrc")
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")   # tango-lrc_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "science")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
# Depends from the ELF files (dpkg-shlibdeps); a shlibs file for our own
# libraries ("=": 0.x promises no ABI stability between versions).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
# (CPack adds a postinst/postrm running ldconfig: the libraries are in /usr/lib.)

include(CPack)
