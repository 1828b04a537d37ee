# Install rules and the exported CMake package.
#
#   cmake --install BUILD [--prefix PREFIX]
#
# PREFIX/
#   lib/liblrc.so{,.0,.0.1.0}, liblrc_server.so{,...}  (CMAKE_INSTALL_LIBDIR)
#   include/lrc/*.h
#   bin/lrc, bin/lrc-demo-device, bin/lrc-positioner
#   share/man/man1/lrc.1
#   lib/cmake/lrc/lrcConfig.cmake, lrcConfigVersion.cmake, lrcTargets*.cmake
#   lib/pkgconfig/lrc.pc, lrc-server.pc
#
# find_package(lrc) gives lrc::lrc (client library) and lrc::server (server
# kit, links lrc::lrc publicly). Everything installed is relocatable except
# the .pc files, which are written at install time for the prefix in use.

include(CMakePackageConfigHelpers)

set(LRC_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/lrc"
    CACHE STRING "Where lrcConfig.cmake is installed (relative to the prefix)")
set(LRC_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    CACHE STRING "Where lrc.pc is installed (relative to the prefix)")
mark_as_advanced(LRC_INSTALL_CMAKEDIR LRC_INSTALL_PKGCONFIGDIR)

# The same names inside this build (e.g. for add_subdirectory users).
add_library(lrc::lrc ALIAS lrc)
add_library(lrc::server ALIAS lrc_server)
set_target_properties(lrc PROPERTIES EXPORT_NAME lrc)
set_target_properties(lrc_server PROPERTIES EXPORT_NAME server)

# RPATH: the installed programs find the installed libraries relative to
# themselves ($ORIGIN), whatever the prefix (/usr for the .deb, /opt/...,
# a temp dir). The libraries get $ORIGIN as well, so liblrc_server finds
# liblrc next to it. The build tree keeps CMake's usual build RPATH.
file(RELATIVE_PATH _lrc_bin_to_lib
     "/prefix/${CMAKE_INSTALL_BINDIR}" "/prefix/${CMAKE_INSTALL_LIBDIR}")
set_target_properties(lrc lrc_server PROPERTIES INSTALL_RPATH "$ORIGIN")
set_target_properties(lrc-cli lrc-demo-device lrc-positioner PROPERTIES
  INSTALL_RPATH "$ORIGIN/${_lrc_bin_to_lib}")

install(TARGETS lrc lrc_server
  EXPORT lrcTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(TARGETS lrc-cli lrc-demo-device lrc-positioner
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lrc
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(FILES ${PROJECT_SOURCE_DIR}/docs/lrc.1
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# ---- CMake package ---------------------------------------------------------
install(EXPORT lrcTargets
  NAMESPACE lrc::
  FILE lrcTargets.cmake
  DESTINATION ${LRC_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/lrcConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/lrcConfig.cmake
  INSTALL_DESTINATION ${LRC_INSTALL_CMAKEDIR})
# 0.x: a new minor version may break the API.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/lrcConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/lrcConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/lrcConfigVersion.cmake
  DESTINATION ${LRC_INSTALL_CMAKEDIR})

# ---- pkg-config --------------------------------------------------------------
# The prefix is known only at install time (cmake --install --prefix, cpack's
# staging with CPACK_SET_DESTDIR), so the templates are configured then, into
# the build tree, and installed from there like any other file.
set(_lrc_pc_stage "${PROJECT_BINARY_DIR}/cmake/pkgconfig-install")
install(CODE "
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  set(LRC_PC_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(LRC_PC_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(LRC_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/lrc.pc.in\" \"${_lrc_pc_stage}/lrc.pc\" @ONLY)
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/lrc-server.pc.in\" \"${_lrc_pc_stage}/lrc-server.pc\" @ONLY)
")
install(FILES
  ${_lrc_pc_stage}/lrc.pc
  ${_lrc_pc_stage}/lrc-server.pc
  DESTINATION ${LRC_INSTALL_PKGCONFIGDIR})
