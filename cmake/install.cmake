# cmake/install.cmake - libkiln.so's interface (soname, exported symbols) and
# what `cmake --install` (`make install`) puts where: the kiln command, the
# libraries, the headers, kiln.pc for pkg-config, the configuration template
# and the man pages. Included once, at the end of CMakeLists.txt, after the
# targets kiln_shared, kiln_static and kiln exist.
#
#   bin/kiln
#   lib/libkiln.so -> libkiln.so.0 -> libkiln.so.0.1.0, lib/libkiln.a
#   lib/pkgconfig/kiln.pc
#   include/kiln.h, include/kiln/*.h
#   etc/kiln/kiln-defaults.conf.template
#   share/man/man1/kiln.1, kiln-<verb>.1
#
# (lib, etc, ... as GNUInstallDirs says; examples, benchmarks and tests are
# not installed.) build/kiln-uninstalled.pc lets a program build against the
# build tree: `PKG_CONFIG_PATH=build pkg-config --cflags --libs kiln`.

include(GNUInstallDirs)

# ---- The shared library's interface ------------------------------------------

# The soname's number: raise it with any change that breaks programs linked
# against an older libkiln.so (a removed function, a changed struct).
set(KILN_SOVERSION 0)
set_target_properties(kiln_shared PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${KILN_SOVERSION})

# Sources are compiled with -fvisibility=hidden (CMAKE_C_VISIBILITY_PRESET),
# so only KILN_API declarations are exported; libkiln.map keeps anything
# else (the linker's __start_/__stop_ section bounds) out of .dynsym.
# -z defs: libkiln.so records every library it needs, so a program links it
# with -lkiln alone.
target_link_options(kiln_shared PRIVATE "LINKER:--version-script=${PROJECT_SOURCE_DIR}/cmake/libkiln.map")
set_property(TARGET kiln_shared APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/libkiln.map)
if(NOT KILN_SANITIZE)
  target_link_options(kiln_shared PRIVATE "LINKER:-z,defs")
endif()

# ---- pkg-config ----------------------------------------------------------------

# kiln_pc_link_flags(OUT items...): link items (library paths, imported or
# project targets, -l/-L/-pthread flags, bare names) as the -l flags a
# program needs to link libkiln.a (Libs.private). Project targets contribute
# what they link, not themselves: their objects are in libkiln.a.
function(kiln_pc_link_flags out)
  set(flags)
  set(todo ${ARGN})
  set(seen)
  while(todo)
    list(POP_FRONT todo item)
    if(item MATCHES "^\\$<LINK_ONLY:(.*)>$")
      set(item "${CMAKE_MATCH_1}")
    endif()
    if(item STREQUAL "" OR item IN_LIST seen OR item MATCHES "^\\$<")
      continue()
    endif()
    list(APPEND seen "${item}")
    if(TARGET "${item}")
      get_target_property(imported "${item}" IMPORTED)
      get_target_property(type "${item}" TYPE)
      get_target_property(deps "${item}" INTERFACE_LINK_LIBRARIES)
      if(deps)
        list(APPEND todo ${deps})
      endif()
      if(imported AND NOT type STREQUAL "INTERFACE_LIBRARY")
        set(location)
        foreach(prop IMPORTED_LOCATION IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_NOCONFIG)
          get_target_property(location "${item}" ${prop})
          if(location)
            break()
          endif()
        endforeach()
        if(location)
          list(APPEND todo "${location}")
        endif()
      elseif(NOT imported AND NOT type STREQUAL "INTERFACE_LIBRARY")
        get_target_property(deps "${item}" LINK_LIBRARIES)
        if(deps)
          list(APPEND todo ${deps})
        endif()
      endif()
    elseif(IS_ABSOLUTE "${item}")
      get_filename_component(dir "${item}" DIRECTORY)
      get_filename_component(name "${item}" NAME)
      string(REGEX REPLACE "^lib" "" name "${name}")
      string(REGEX REPLACE "\\.(so|a)(\\.[0-9]+)*$" "" name "${name}")
      if(NOT dir IN_LIST CMAKE_C_IMPLICIT_LINK_DIRECTORIES)
        list(APPEND flags "-L${dir}")
      endif()
      list(APPEND flags "-l${name}")
    elseif(item MATCHES "^-")
      list(APPEND flags "${item}")
    else()
      list(APPEND flags "-l${item}")
    endif()
  endwhile()
  list(REMOVE_DUPLICATES flags)
  list(JOIN flags " " flags)
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

get_target_property(kiln_link_libraries kiln_static LINK_LIBRARIES)
kiln_pc_link_flags(KILN_PC_LIBS_PRIVATE ${kiln_link_libraries})
if(CMAKE_THREAD_LIBS_INIT AND NOT KILN_PC_LIBS_PRIVATE MATCHES "pthread")
  string(APPEND KILN_PC_LIBS_PRIVATE " ${CMAKE_THREAD_LIBS_INIT}")
endif()

# kiln-uninstalled.pc: the headers of the source tree, the libraries of the
# build tree (with an rpath, so the program runs from there).
set(KILN_PC_PREFIX "${CMAKE_BINARY_DIR}")
set(KILN_PC_LIBDIR "${CMAKE_LIBRARY_OUTPUT_DIRECTORY}")
set(KILN_PC_INCLUDEDIR "${PROJECT_SOURCE_DIR}/include")
set(KILN_PC_RPATH "-Wl,-rpath,\${libdir} ")
configure_file(${PROJECT_SOURCE_DIR}/cmake/kiln.pc.in ${CMAKE_BINARY_DIR}/kiln-uninstalled.pc @ONLY)

# kiln.pc is written at install time: `cmake --install --prefix P` may name a
# prefix other than the configured one. DESTDIR is not in it (the files are
# meant to move to the prefix), so a staged tree is used with
# PKG_CONFIG_SYSROOT_DIR=$DESTDIR.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(kiln_pc_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(kiln_pc_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
install(CODE "
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  set(KILN_PC_LIBS_PRIVATE \"${KILN_PC_LIBS_PRIVATE}\")
  set(KILN_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(KILN_PC_LIBDIR [=[${kiln_pc_LIBDIR}]=])
  set(KILN_PC_INCLUDEDIR [=[${kiln_pc_INCLUDEDIR}]=])
  set(KILN_PC_RPATH \"\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/kiln.pc.in\" \"${CMAKE_BINARY_DIR}/pkgconfig/kiln.pc\" @ONLY)
")

# ---- What is installed ---------------------------------------------------------

install(TARGETS kiln RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS kiln_shared kiln_static
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_BINARY_DIR}/pkgconfig/kiln.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${PROJECT_SOURCE_DIR}/include/kiln.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/kiln/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kiln
  FILES_MATCHING PATTERN "*.h")
# Relative to the prefix (PREFIX/etc/kiln), also for PREFIX=/usr: a package
# for /etc passes -DCMAKE_INSTALL_SYSCONFDIR=/etc.
install(FILES ${PROJECT_SOURCE_DIR}/conf/kiln-defaults.conf.template
  DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/kiln)
file(GLOB KILN_MAN_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.1)
install(FILES ${KILN_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
