# rramft_library(<name> <sources>...): the static library rramft_<name>, linked as rramft::<name>
# inside this build and, once installed (cmake --install), through find_package(rramft), which
# gives the same rramft::<name> as an imported target. Its folder's headers install under
# include/rramft/<folder>/, so the same #include "core/spec.h" works in and out of the tree.
include(GNUInstallDirs)
function(rramft_library name)
  add_library(rramft_${name} ${ARGN})
  add_library(rramft::${name} ALIAS rramft_${name})
  set_target_properties(rramft_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(rramft_${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
                             $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/rramft>)
  install(TARGETS rramft_${name} EXPORT rramftTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  get_directory_property(done RRAMFT_HEADERS_INSTALLED)
  if(NOT done)
    set_directory_properties(PROPERTIES RRAMFT_HEADERS_INSTALLED ON)
    file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
    install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rramft/${folder} FILES_MATCHING PATTERN "*.h")
  endif()
endfunction()
