#include "testbenches/simulate.h"

#include <systemc>

#if defined(__SANITIZE_ADDRESS__)
#define RRAMFT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RRAMFT_ASAN 1
#endif
#endif

#ifdef RRAMFT_ASAN
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace rramft::sc {

namespace {
void restore_main_stack();
}

void simulate() {
  try {
    sc_core::sc_start();
  } catch (...) {
    restore_main_stack();  // an error of a process leaves sc_start() from the same state
    throw;
  }
  restore_main_stack();
}

namespace {

void restore_main_stack() {
#ifdef RRAMFT_ASAN
  // A "switch" from the stack the sanitizer believes in to the main thread's real stack.
  pthread_attr_t attr;
  void* bottom = nullptr;
  size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  const bool ok = pthread_attr_getstack(&attr, &bottom, &size) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) return;
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, bottom, size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
}

}  // namespace

}  // namespace rramft::sc
