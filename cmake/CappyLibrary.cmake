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
                "${CMAKE_CURRENT_SOURCE_DIR}/native/core/include/cappy/cappy_c.hpp"
          DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/cappy")
  install(EXPORT cappyTargets NAMESPACE cappy:: DESTINATION "${CAPPY_CMAKE_DIR}")
  configure_package_config_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/cappyConfig.cmake.in"
    "${CMAKE_CURRENT_BINARY_DIR}/cappyConfig.cmake" INSTALL_DESTINATION "${CAPPY_CMAKE_DIR}")
  write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/cappyConfigVersion.cmake"
    VERSION ${CAPPY_VERSION} COMPATIBILITY SameMajorVersion)
  install(FILES "${CMAKE_CURRENT_BINARY_DIR}/cappyConfig.cmake" "${CMAKE_CURRENT_BINARY_DIR}/cappyConfigVersion.cmake"
          DESTINATION "${CAPPY_CMAKE_DIR}")
  # pkg-config: a static link also needs the C++ runtime and what the core uses.
  set(CAPPY_PC_REQUIRES_PRIVATE "")
  if(CAPPY_SYSTEM_SIMDJSON)
    set(CAPPY_PC_REQUIRES_PRIVATE "simdjson")
  endif()
  configure_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/cappy.pc.in" "${CMAKE_CURRENT_BINARY_DIR}/cappy.pc" @ONLY)
  install(FILES "${CMAKE_CURRENT_BINARY_DIR}/cappy.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endif()
