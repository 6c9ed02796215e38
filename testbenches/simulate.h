#pragma once
/// @file simulate.h
/// @brief sc_start() for AddressSanitizer builds too.
///
/// Debian's SystemC 2.3.4 switches between its QuickThreads coroutines through the sanitizer
/// fiber API, but when the simulation returns to sc_main, AddressSanitizer is left believing
/// that the main thread still runs on the last coroutine's stack. An exception thrown after
/// the simulation then cannot unpoison the frames it unwinds ("ASan is ignoring requested
/// __asan_handle_no_return"), and later calls report false stack-buffer-overflows.
/// simulate() runs the simulation and then tells the sanitizer the main stack's true bounds.
/// Without AddressSanitizer it is sc_start().

namespace rramft::sc {

/// @brief sc_core::sc_start() to the end, then restores the sanitizer's view of the main stack.
void simulate();

}  // namespace rramft::sc
