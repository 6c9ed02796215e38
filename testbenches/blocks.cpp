#include "testbenches/blocks.h"

#ifdef RRAMFT_HAVE_RTL
#include "rtl/cosim.h"
#endif

namespace rramft::sc {

block_factory chip_blocks() {
#ifdef RRAMFT_HAVE_RTL
  return rtl::cosim_blocks();
#else
  return block_factory::tlm();
#endif
}

}  // namespace rramft::sc
