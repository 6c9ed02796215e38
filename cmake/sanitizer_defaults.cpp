/// @file sanitizer_defaults.cpp
/// @brief Default options of the sanitizer runtimes, linked into every executable of a
/// -DRRAMFT_SANITIZE build (cmake/sanitize.cmake), so that ctest, the CI and a hand-run binary
/// behave alike without environment variables. ASAN_OPTIONS / UBSAN_OPTIONS / LSAN_OPTIONS
/// still override them.

extern "C" {

/// A report ends the process (the build has no recovery) with exit status 86, apart from
/// rramft's own statuses (2 bad input, 3 out of memory) and below 128 like them: the
/// bad-input catalogue (tests/cli/bad_input.sh) names it as a sanitizer report. An allocation
/// the allocator refuses throws std::bad_alloc, as in a normal build.
const char* __asan_default_options() {
  return "exitcode=86:detect_leaks=1:allocator_may_return_null=1";
}

const char* __ubsan_default_options() { return "exitcode=86:print_stacktrace=1:halt_on_error=1"; }

/// SystemC's SC_THREAD processes are coroutines whose stacks LeakSanitizer does not scan, and
/// a thread that waits forever (every chip model's controller loop) is never unwound: what its
/// locals hold at the end of the simulation is reported as leaked although it is reachable.
const char* __lsan_default_options() { return "print_suppressions=0"; }
const char* __lsan_default_suppressions() { return "leak:sc_core::sc_thread_cor_fn\n"; }
}
