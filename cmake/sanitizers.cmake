# cmake/sanitizers.cmake - the sanitizer builds, included from CMakeLists.txt
# before any target is defined, so their flags reach every target (library,
# kiln command, examples, tests).
#
#   KILN_SANITIZE  AddressSanitizer + UndefinedBehaviorSanitizer, -O1 -g (`make asan`)
#   KILN_TSAN      ThreadSanitizer, -O1 -g (`make tsan`; tests/tsan.supp)
#
# The two cannot be combined: TSan and ASan each own the process's shadow
# memory. gcc (libtsan2) and clang both work; forked executor processes are
# the test programs themselves, so they run instrumented too.

option(KILN_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(KILN_TSAN "Build with ThreadSanitizer (-O1 -g)" OFF)

if(KILN_SANITIZE AND KILN_TSAN)
  message(FATAL_ERROR "KILN_SANITIZE and KILN_TSAN cannot be combined: use two build directories "
                      "(make asan builds build-asan, make tsan builds build-tsan)")
endif()

if(KILN_SANITIZE)
  # -O1, as ASan's documentation advises: the suite runs in about 60% of
  # its time at -O0 (e2e_sql_tpch in an eighth), reports keep their frames.
  add_compile_options(-fsanitize=address,undefined -O1 -g -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(KILN_TSAN)
  # -O1 after the build type's flags wins over them: TSan wants some
  # optimisation for speed but frames intact for its reports.
  add_compile_options(-fsanitize=thread -O1 -g -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
