# The installable native library: libcappy.so and libcappy.a with the C ABI
# (native/core/include/cappy/cappy_c.h), exported as cappy::cappy (shared) and
# cappy::cappy_static for find_package(cappy), plus cappy.pc for pkg-config.
# Included from CMakeLists.txt after the core objects are defined.
include(GNUInstallDirs)

set(CAPPY_ABI_VERSION 1)  # keep in step with CAPPY_ABI_VERSION in cappy_c.h
file(STRINGS "${CMAKE_CURRENT_SOURCE_DIR}/native/core/include/cappy/cappy_c.h" _abi REGEX "^#define CAPPY_ABI_VERSION ")
if(NOT _abi STREQUAL "#define CAPPY_ABI_VERSION ${CAPPY_ABI_VERSION}")
  message(FATAL_ERROR "cmake/CappyLibrary.cmake's CAPPY_ABI_VERSION (${CAPPY_ABI_VERSION}) differs from cappy_c.h's (${_abi})")
endif()

set(CAPPY_EXPORTED_TARGETS "")
# The C++ runtime a static link of libcappy.a needs from a C linker (stdc++
# and m with GCC): the C++ compiler's own link libraries, less libc's and the
# compiler support libraries a C link has anyway.
set(CAPPY_CXX_RUNTIME_LIBS "")
foreach(lib IN LISTS CMAKE_CXX_IMPLICIT_LINK_LIBRARIES)
  if(NOT lib MATCHES "^(c|gcc|gcc_s|gcc_eh|System)$" AND NOT lib IN_LIST CAPPY_CXX_RUNTIME_LIBS)
    list(APPEND CAPPY_CXX_RUNTIME_LIBS "${lib}")
  endif()
endforeach()
if(CAPPY_BUILD_SHARED)
  add_library(cappy_shared SHARED ${CAPPY_CORE_OBJECT_FILES})
  cappy_core_usage(cappy_shared)
  set_target_properties(cappy_shared PROPERTIES OUTPUT_NAME cappy EXPORT_NAME cappy
    VERSION ${CAPPY_VERSION} SOVERSION ${CAPPY_ABI_VERSION})
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(cappy_shared PRIVATE "-Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/native/core/capi/exports.map"
      "-Wl,--no-undefined")
    set_property(TARGET cappy_shared APPEND PROPERTY LINK_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/native/core/capi/exports.map")
  endif()
  # $ORIGIN: the soname fallback for ONNX Runtime (libonnxruntime.so.1) also
  # finds one installed beside libcappy.so (install-core.sh puts it there).
  set_target_properties(cappy_shared PROPERTIES INSTALL_RPATH "$ORIGIN")
  add_library(cappy::cappy ALIAS cappy_shared)
  list(APPEND CAPPY_EXPORTED_TARGETS cappy_shared)
endif()
if(CAPPY_BUILD_STATIC)
  add_library(cappy_static STATIC ${CAPPY_CORE_OBJECT_FILES})
  cappy_core_usage(cappy_static)
  set_target_properties(cappy_static PROPERTIES OUTPUT_NAME cappy EXPORT_NAME cappy_static)
  add_library(cappy::cappy_static ALIAS cappy_static)
  list(APPEND CAPPY_EXPORTED_TARGETS cappy_static)
endif()

if(CAPPY_INSTALL AND CAPPY_EXPORTED_TARGETS)
  include(CMakePackageConfigHelpers)
  set(CAPPY_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/cappy")
  install(TARGETS ${CAPPY_EXPORTED_TARGETS} EXPORT cappyTargets
    LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
    RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
    INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
  # The C ABI and its C++ wrapper only: the core's C++ classes are hidden
  # inside the libraries (cappy/cappy.h is for builds from this source tree).
  install(FILES "${CMAKE_CURRENT_SOURCE_DIR}/native/core/include/cappy/cappy_c.h"
                "${CMAKE_CURRENT_SOURCE_DIR}/native/core/include/cappy/cappy_errors.h"
                "${CMAKE_CURRENT_SOURCE_DIR}/native/core/include/cappy/cappy_c.hpp"
          DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/cappy")
  # ORT's license travels with the core built against its headers, and with
  # the ORT library when one is installed beside libcappy.
  set(CAPPY_LICENSE_DIR "${CMAKE_INSTALL_DATADIR}/doc/cappy")
  install(FILES "${CAPPY_VENDORED_ORT_DIR}/LICENSE" DESTINATION "${CAPPY_LICENSE_DIR}" RENAME "ONNXRUNTIME-LICENSE")
  if(CAPPY_INSTALL_ORT_LIBRARY)
    install(FILES "${CAPPY_INSTALL_ORT_LIBRARY}" DESTINATION "${CMAKE_INSTALL_LIBDIR}" RENAME "libonnxruntime.so.1")
    if(CAPPY_INSTALL_ORT_NOTICES)
      install(FILES "${CAPPY_INSTALL_ORT_NOTICES}" DESTINATION "${CAPPY_LICENSE_DIR}"
              RENAME "ONNXRUNTIME-ThirdPartyNotices.txt")
    endif()
  endif()
  install(EXPORT cappyTargets NAMESPACE cappy:: DESTINATION "${CAPPY_CMAKE_DIR}")
  configure_package_config_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/cappyConfig.cmake.in"
    "${CMAKE_CURRENT_BINARY_DIR}/cappyConfig.cmake" INSTALL_DESTINATION "${CAPPY_CMAKE_DIR}")
  write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/cappyConfigVersion.cmake"
    VERSION ${CAPPY_VERSION} COMPATIBILITY SameMajorVersion)
  install(FILES "${CMAKE_CURRENT_BINARY_DIR}/cappyConfig.cmake" "${CMAKE_CURRENT_BINARY_DIR}/cappyConfigVersion.cmake"
          DESTINATION "${CAPPY_CMAKE_DIR}")
  # pkg-config: cappy.pc links libcappy.so (`--static` adds what libcappy.a
  # needs, for a link that passes -static itself); cappy-static.pc links
  # libcappy.a. One file cannot do both: its -lcappy finds libcappy.so first.
  set(CAPPY_PC_SIMDJSON "")
  if(CAPPY_SYSTEM_SIMDJSON)
    set(CAPPY_PC_SIMDJSON "simdjson")
  endif()
  set(CAPPY_PC_RUNTIME "")
  foreach(lib IN LISTS CAPPY_CXX_RUNTIME_LIBS ITEMS pthread ${CMAKE_DL_LIBS})
    string(APPEND CAPPY_PC_RUNTIME " -l${lib}")
  endforeach()
  string(STRIP "${CAPPY_PC_RUNTIME}" CAPPY_PC_RUNTIME)
  foreach(pc cappy cappy-static)
    configure_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/${pc}.pc.in" "${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc" @ONLY)
    install(FILES "${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  endforeach()
endif()
