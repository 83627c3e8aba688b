# cmake/python.cmake - the Python package's extension module _kiln
# (python/src), built against Debian's /usr/bin/python3 (python3-dev) and
# libkiln.a into build/python/, next to a link to the pure-Python package
# (python/kiln), so that PYTHONPATH=build/python imports kiln.
#
# KILN_PYTHON (ON when Python's headers are found; off in sanitizer
# builds: an instrumented module cannot load into an uninstrumented
# interpreter).
set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "The Python the package is built for")
find_package(Python3 COMPONENTS Interpreter Development.Module)
set(_kiln_python_default OFF)
if(Python3_Development.Module_FOUND AND NOT KILN_SANITIZE AND NOT KILN_TSAN AND NOT KILN_FUZZ)
  set(_kiln_python_default ON)
endif()
option(KILN_PYTHON "Build the Python package's extension module" ${_kiln_python_default})

if(KILN_PYTHON)
  file(GLOB KILN_PY_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/python/src/*.c)
  Python3_add_library(kiln_python MODULE WITH_SOABI ${KILN_PY_SOURCES})
  set_target_properties(kiln_python PROPERTIES OUTPUT_NAME _kiln
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/python)
  # The public headers only, as any program of kiln's.
  target_include_directories(kiln_python PRIVATE ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(kiln_python PRIVATE kiln_static)
  # Only PyInit__kiln leaves the module.
  target_link_options(kiln_python PRIVATE "LINKER:--exclude-libs,ALL")
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/python)
  file(CREATE_LINK ${CMAKE_SOURCE_DIR}/python/kiln ${CMAKE_BINARY_DIR}/python/kiln SYMBOLIC)
  add_custom_target(python DEPENDS kiln_python)

  # The Python tests (python/tests, pytest) as one ctest each file.
  file(GLOB KILN_PY_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/python/tests/test_*.py)
  foreach(t ${KILN_PY_TESTS})
    get_filename_component(name ${t} NAME_WE)
    add_test(NAME py_${name}
      COMMAND ${Python3_EXECUTABLE} -m pytest -q -p no:cacheprovider ${t}
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(py_${name} PROPERTIES TIMEOUT 600
      ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;KILN_BUILD_DIR=${CMAKE_BINARY_DIR}")
  endforeach()
endif()
