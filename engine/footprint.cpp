#include "engine/footprint.h"

#include <algorithm>
#include <cstring>

#include "core/quant.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace rramft::engine {

namespace {

/// Float products of one image, counting what passes through.
class shape_backend : public models::linear_backend {
 public:
  explicit shape_backend(const models::model& m) : shape_{}, fb_(m) {
    shape_.vectors.assign(m.layers.size(), 0.0);
  }
  void linear(size_t layer, const float* x, int n, float* y) override {
    shape_.vectors[layer] += n;
    fb_.linear(layer, x, n, y);
  }
  void digital(const char* op, size_t elements) override {
    if (std::strcmp(op, "attention") != 0)  // counts multiply-adds, not elements held
      shape_.digital_elements = std::max(shape_.digital_elements, double(elements));
  }
  image_shape shape_;

 private:
  models::float_backend fb_;
};

}  // namespace

image_shape shape_of_one_image(const models::network& net) {
  shape_backend sb(net.source());
  if (net.sample_bytes() > 0) {
    const std::vector<uint8_t> pixels(net.sample_bytes(), 0);
    const int per = net.source().network_graph ? std::max(1, net.source().positions) : 1;
    std::vector<float> logits(size_t(net.num_classes()) * size_t(per));
    net.forward_images(pixels.data(), 1, sb, logits.data());
  } else {
    for (size_t i = 0; i < net.source().layers.size(); ++i) sb.shape_.vectors[i] = 1;
  }
  return sb.shape_;
}

memory_estimate eval_footprint(const models::model& m, const arch_spec& a,
                               const models::image_set& data, int batch, int threads,
                               int max_copies, double rate, bool chips_in_parallel) {
  if (threads <= 0) {
    threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
  }
  const models::network net(m);
  const image_shape one = shape_of_one_image(net);
  const double B = std::min(batch, std::max(1, data.n));
  const int batches = (std::max(1, data.n) + batch - 1) / batch;
  const double parallel = std::max(1, chips_in_parallel ? threads : std::min(threads, batches));
  const double chips = chips_in_parallel ? parallel : 1;  // chips programmed at once
  const int S = a.weight_slices(), R = a.crossbar.rows;
  const double T = std::max(1, max_copies);
  // Lanes of serial_product's column sums: 1, 2 or 4 bytes.
  const double lane = a.column_full_scale() <= 0xff ? 1 : a.column_full_scale() <= 0xffff ? 2 : 4;
  double per_thread = 0, weights = 0, cells = 0, prepared = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const auto& l = m.layers[i];
    const double n = B * one.vectors[i], r = l.rows, c = l.cols;
    // Mapped backend and core: quantized inputs and outputs, kept inputs and outputs (at most
    // all of them), the network's activations in and out.
    double b = n * (r * (4 + 4 + 4 + 4) + c * (8 + 8 + 4 + 4) + 8);
    const double layer_cells = r * c * 2 * S * T;  // bit cells of the mapped layer, at most
    if (a.adc_lossless()) {
      b += n * (r * 4 + c * 4);  // the fast path's float (or double) product
      prepared += r * c * 8;     // its effective weights (double at most)
    } else {
      // serial_product: subset-sum tables and digits of 32 vectors, accumulators per output.
      b += (R / 8.0 + 1) * 256 * 32 * lane + R * 32 * lane + c * (T + 1) * 32 * 8;
      prepared += layer_cells / 8 * 4 + layer_cells / std::min(R, l.rows) * 32;  // programs
    }
    per_thread = std::max(per_thread, b);
    weights += r * c * (4 + 4);  // the model's floats, quantized
    cells += layer_cells;
  }
  per_thread += B * one.digital_elements * 4 * 2;
  memory_estimate e;
  e.add("data", double(data.pixels.size()) + double(data.labels.size()));
  const int p = int(parallel);
  e.add("batch buffers [" + std::to_string(p) + (p == 1 ? " thread" : " threads") + " x " +
            std::to_string(int(B)) + " images]",
        per_thread * parallel);
  e.add("weights", weights);
  const int k = int(chips);
  e.add("prepared products [" + std::to_string(k) + (k == 1 ? " chip]" : " chips]"),
        prepared * chips);
  e.add("fault lists", std::min(1.0, rate) * cells * 16 * chips);
  return e;
}

memory_estimate run_footprint(const std::vector<const mapping::chip_mapping*>& chips,
                              double faulty_cells, const models::image_set& data) {
  memory_estimate e;
  for (const mapping::chip_mapping* cm : chips)
    for (const mapped_layer& l : cm->layers)
      for (int b = 0; b < l.row_blocks; ++b)
        e.add("programmed crossbars", double(l.block_rows(b)) * l.C() * l.xbars_per_block * 4);
  e.add("fault lists", faulty_cells * sizeof(cell_error) * 2);  // the accelerator keeps copies
  e.add("platform memory", double(data.pixels.size()) + 4.0 * data.n);
  return e;
}

}  // namespace rramft::engine
