# cmake/layers.cmake - one library per folder of src/, and the arrows
# between them as the only way one folder can see another's headers.
#
# kiln_layer(NAME DEPS dep... LIBS lib...) makes the object library
# kiln_NAME from src/NAME/*.c. Its include path is include/ (the public
# API) and a directory of its own under the build tree,
# layers/NAME/, holding symbolic links to the headers it may use:
# every header of src/NAME, and the interface headers (not *_int.h) of each
# folder in DEPS and of what those depend on in turn. src/ itself is never
# on the path, so `#include "cluster/cluster.h"` in a file of src/engine
# fails to compile: a wrong arrow breaks the build.
#
# LIBS are the system libraries the folder itself calls.

set(KILN_LAYER_ROOT ${CMAKE_BINARY_DIR}/layers)

# Exported interface headers of a folder: every .h but the private *_int.h.
function(kiln_layer_headers folder out)
  file(GLOB hs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${folder}/*.h)
  list(FILTER hs EXCLUDE REGEX "_int\\.h$")
  set(${out} ${hs} PARENT_SCOPE)
endfunction()

# Links each header in hs into dir (made anew at configure time).
function(kiln_layer_link dir hs)
  file(MAKE_DIRECTORY ${dir})
  foreach(h ${hs})
    get_filename_component(n ${h} NAME)
    file(CREATE_LINK ${h} ${dir}/${n} SYMBOLIC)
  endforeach()
endfunction()

function(kiln_layer name)
  cmake_parse_arguments(L "" "" "DEPS;LIBS" ${ARGN})
  # The transitive closure of DEPS (each layer records its own closure).
  set(closure)
  foreach(d ${L_DEPS})
    if(NOT TARGET kiln_${d})
      message(FATAL_ERROR "layer ${name}: dependency ${d} is not a layer defined before it")
    endif()
    get_property(sub GLOBAL PROPERTY KILN_LAYER_CLOSURE_${d})
    list(APPEND closure ${d} ${sub})
  endforeach()
  list(REMOVE_DUPLICATES closure)
  set_property(GLOBAL PROPERTY KILN_LAYER_CLOSURE_${name} "${closure}")

  set(dir ${KILN_LAYER_ROOT}/${name})
  file(REMOVE_RECURSE ${dir})
  file(GLOB own CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.h)
  kiln_layer_link(${dir}/${name} "${own}")
  foreach(d ${closure})
    kiln_layer_headers(${d} hs)
    kiln_layer_link(${dir}/${d} "${hs}")
  endforeach()

  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.c)
  add_library(kiln_${name} OBJECT ${srcs})
  target_include_directories(kiln_${name} PRIVATE ${CMAKE_SOURCE_DIR}/include ${dir})
  target_compile_definitions(kiln_${name} PRIVATE KILN_BUILDING_LIBRARY)
  foreach(d ${L_DEPS})
    target_link_libraries(kiln_${name} PUBLIC kiln_${d})
  endforeach()
  if(L_LIBS)
    target_link_libraries(kiln_${name} PUBLIC ${L_LIBS})
  endif()
  if(NOT name STREQUAL "cli")
    set_property(GLOBAL APPEND PROPERTY KILN_LAYERS ${name})
  endif()
endfunction()
