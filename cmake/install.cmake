# cmake --install build --prefix P: the rramft executable, the libraries, their headers under
# include/rramft/, the shipped configurations under share/rramft/configs/, a CMake package
# (find_package(rramft) gives rramft::chip, rramft::engine, ... as imported targets) and a
# pkg-config file (rramft.pc). docs/install.md shows both in use.
include(CMakePackageConfigHelpers)
set(RRAMFT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/rramft)
install(TARGETS rramft RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT rramftTargets NAMESPACE rramft:: DESTINATION ${RRAMFT_CMAKE_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/rramft/configs)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/rramftConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/rramftConfig.cmake
                              INSTALL_DESTINATION ${RRAMFT_CMAKE_DIR}
                              PATH_VARS CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rramftConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/rramftConfig.cmake ${PROJECT_BINARY_DIR}/rramftConfigVersion.cmake
        DESTINATION ${RRAMFT_CMAKE_DIR})
# pkg-config: the libraries in link order (users first), then what they need.
set(RRAMFT_PC_LIBS "-lrramft_chip -lrramft_sweep -lrramft_sweep_grid -lrramft_testbenches -lrramft_traces -lrramft_tiles")
if(TARGET rramft_rtl)
  string(APPEND RRAMFT_PC_LIBS " -lrramft_rtl -lrramft_rtl_models")
endif()
string(APPEND RRAMFT_PC_LIBS " -lrramft_peripherals -lrramft_energy -lrramft_engine -lrramft_mapping -lrramft_models -lrramft_io -lrramft_chipspec -lrramft_core")
configure_file(${PROJECT_SOURCE_DIR}/cmake/rramft.pc.in ${PROJECT_BINARY_DIR}/rramft.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/rramft.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
