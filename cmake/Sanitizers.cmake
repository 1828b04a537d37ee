# LRC_SANITIZE: "" (none), "address" (ASan+UBSan) or "thread" (TSan).
# Applied to everything we build; libtango itself stays uninstrumented.
set(LRC_SANITIZE "" CACHE STRING "Sanitizers: '', 'address' (ASan+UBSan) or 'thread'")
if(LRC_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(LRC_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT LRC_SANITIZE STREQUAL "")
  message(FATAL_ERROR "LRC_SANITIZE must be '', 'address' or 'thread'")
endif()

# Valgrind memcheck (`ctest -T memcheck`, the valgrind pass of scripts/test,
# on a build without LRC_SANITIZE). Read by include(CTest), so this file must
# be included before it. A definite leak or any memory error fails the test
# (--error-exitcode); possible leaks are only reported. Programs the tests
# start (device servers, tango_admin) run natively. Suppressions: only
# libtango/omniORB/ZeroMQ internals (tests/valgrind.supp). Either can be
# overridden with -D...; an empty cached value is replaced.
if(NOT DEFINED MEMORYCHECK_COMMAND_OPTIONS OR MEMORYCHECK_COMMAND_OPTIONS STREQUAL "")
  set(MEMORYCHECK_COMMAND_OPTIONS
      "--leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=40 --trace-children=no --child-silent-after-fork=yes")
endif()
if(NOT MEMORYCHECK_SUPPRESSIONS_FILE)
  set(MEMORYCHECK_SUPPRESSIONS_FILE "${PROJECT_SOURCE_DIR}/tests/valgrind.supp"
      CACHE FILEPATH "File that contains suppressions for the memory checker" FORCE)
endif()
