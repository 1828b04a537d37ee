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
