/// @file fuzz_safetensors.cpp
/// @brief The safetensors reader (models/safetensors.cpp) on arbitrary bytes.
#include <cmath>

#include "fuzz/fuzz.h"
#include "models/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rramft;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  models::safetensors st;
  if (!fuzz::accepts([&] { st = models::safetensors::parse(bytes, "fuzz.safetensors"); })) return 0;
  // A header that names a tensor (or a key inside one) twice is never accepted: which of the two
  // would be used is a guess.
  if (size >= 8) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
    if (n <= size - 8)
      fuzz::require(!fuzz::json_has_duplicate_key(bytes.substr(8, n)),
                    "a header with a duplicate key was accepted");
  }
  // What was accepted is what the header promised: every tensor whole, every value finite.
  for (const std::string& name : st.names()) {
    const models::tensor& t = st.get(name);
    fuzz::require(t.numel() >= 0 && size_t(t.numel()) == t.data.size(), "tensor size != shape");
    for (float v : t.data) fuzz::require(std::isfinite(v), "non-finite value accepted");
  }
  return 0;
}
