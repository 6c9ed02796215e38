/// @file fuzz_idx.cpp
/// @brief The idx data reader (models/idx.cpp), gzip or plain. Input: the image file, then
/// the bytes "#labels#", then the label file.
#include "fuzz/fuzz.h"
#include "models/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rramft;
  const auto parts = fuzz::split(data, size, "#labels#");
  const std::string &images = parts.first, &labels = parts.second;
  models::image_set s;
  if (!fuzz::accepts([&] { s = models::parse_idx(images, labels, "images", "labels"); })) return 0;
  fuzz::require(s.n > 0 && s.rows > 0 && s.cols > 0, "empty image set accepted");
  fuzz::require(s.pixels.size() == size_t(s.n) * s.image_bytes(), "pixels do not fill the set");
  fuzz::require(s.labels.size() == size_t(s.n), "one label per image");
  return 0;
}
