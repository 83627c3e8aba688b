# cmake/fuzz.cmake - the libFuzzer targets (tests/fuzz/README.md), included
# from CMakeLists.txt after the library's dependencies are found.
#
#   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DKILN_FUZZ=ON
#   cmake --build build-fuzz --target fuzzers     # what `make fuzz` runs
#
# Every tests/fuzz/fuzz_<name>.c becomes build-fuzz/fuzz_<name> (a new file
# needs no edit here or in the Makefile), built with
# -fsanitize=fuzzer,address,undefined and linked with libkiln-fuzz.a: the
# library (every src/ folder but cli) compiled once more, instrumented with
# -fsanitize=fuzzer-no-link,address,undefined so libFuzzer sees its branches.

option(KILN_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)
if(NOT KILN_FUZZ)
  return()
endif()

if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "KILN_FUZZ needs clang (libFuzzer), not ${CMAKE_C_COMPILER_ID}: "
                      "cmake -DCMAKE_C_COMPILER=clang -DKILN_FUZZ=ON")
endif()
if(KILN_SANITIZE OR KILN_TSAN)
  message(FATAL_ERROR "KILN_FUZZ instruments its own targets with ASan+UBSan: configure it in a "
                      "build directory without KILN_SANITIZE or KILN_TSAN (make fuzz uses build-fuzz)")
endif()

include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
check_c_source_compiles([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return data && size ? 0 : 0; }
]] KILN_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT KILN_HAVE_LIBFUZZER)
  message(FATAL_ERROR "clang cannot link with -fsanitize=fuzzer: install libFuzzer "
                      "(Debian: libclang-rt-14-dev)")
endif()

set(KILN_FUZZ_FLAGS -g -O1 -fno-omit-frame-pointer)

file(GLOB KILN_FUZZ_LIB_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/*/*.c)
list(FILTER KILN_FUZZ_LIB_SOURCES EXCLUDE REGEX "/src/cli/")
add_library(kiln_fuzz_objs OBJECT ${KILN_FUZZ_LIB_SOURCES})
target_include_directories(kiln_fuzz_objs PUBLIC include PRIVATE src ${KILN_GENERATED_DIR})
target_compile_options(kiln_fuzz_objs PRIVATE ${KILN_FUZZ_FLAGS}
                       -fsanitize=fuzzer-no-link,address,undefined)
target_link_libraries(kiln_fuzz_objs PRIVATE OpenSSL::SSL OpenSSL::Crypto) # include directory

# An archive, so each target links only the objects it reaches.
add_library(kiln_fuzz_lib STATIC $<TARGET_OBJECTS:kiln_fuzz_objs>)
set_target_properties(kiln_fuzz_lib PROPERTIES OUTPUT_NAME kiln-fuzz)
target_link_libraries(kiln_fuzz_lib PUBLIC Threads::Threads ZLIB::ZLIB BZip2::BZip2 ${ZSTD_LIB}
  ${LZ4_LIB} ${SNAPPY_LIB} ${XXHASH_LIB} ${LAPACKE_LIB} ${OPENBLAS_LIB} ${PCRE2_LIB} OpenSSL::SSL OpenSSL::Crypto CURL::libcurl ${CMAKE_DL_LIBS} m)

add_custom_target(fuzzers)
file(GLOB KILN_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
foreach(src ${KILN_FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  target_include_directories(${name} PRIVATE include src)
  target_compile_options(${name} PRIVATE ${KILN_FUZZ_FLAGS} -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE kiln_fuzz_lib)
  add_dependencies(fuzzers ${name})
endforeach()
# The Python package's pipe decoder, which needs no Python (python/src/py_wire_ref.c).
target_sources(fuzz_py_wire PRIVATE ${CMAKE_SOURCE_DIR}/python/src/py_wire_ref.c)
target_include_directories(fuzz_py_wire PRIVATE ${CMAKE_SOURCE_DIR}/python/src)
