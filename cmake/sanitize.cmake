# -DRRAMFT_SANITIZE=address,undefined builds everything with those sanitizers (docs/hardening.md:
# Hardening). Every report aborts the process (no recovery), so a test that triggers one fails.
set(RRAMFT_SANITIZE "" CACHE STRING "comma-separated -fsanitize= list (empty: none)")
# Fuzzing (fuzz/, tools/fuzz.sh): everything is instrumented for libFuzzer's coverage feedback
# and checked by ASan and UBSan.
if(RRAMFT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "RRAMFT_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT RRAMFT_SANITIZE)
    set(RRAMFT_SANITIZE address,undefined)
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(RRAMFT_SANITIZE)
  # -O1 (AddressSanitizer's recommendation): the suite runs about twice as fast as at -O0, and
  # every check stays; debug information stays on with the Debug build's -g.
  add_compile_options(-fsanitize=${RRAMFT_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -O1)
  add_link_options(-fsanitize=${RRAMFT_SANITIZE} -fno-sanitize-recover=all)
  add_library(rramft_sanitizer_defaults OBJECT ${CMAKE_CURRENT_LIST_DIR}/sanitizer_defaults.cpp)
endif()

# Links the sanitizer runtimes' default options into every executable under @p dir (called once
# at the end of the top-level CMakeLists.txt, so executables added later need nothing).
function(rramft_sanitize_executables dir)
  if(NOT RRAMFT_SANITIZE)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_link_libraries(${t} PRIVATE rramft_sanitizer_defaults)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(s ${subdirs})
    rramft_sanitize_executables(${s})
  endforeach()
endfunction()
