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
                               int max_copies, double rate) {
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
  const double parallel = std::max(1, std::min(threads, batches));
  const int S = a.weight_slices(), R = a.crossbar.rows, C = a.crossbar.cols;
  const int slices_in = input_slicing{a.input_bits, a.dac.bits, a.input_signed}.count();
  const double T = std::max(1, max_copies);
  double per_thread = 0, weights = 0, cells = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const auto& l = m.layers[i];
    const double n = B * one.vectors[i], r = l.rows, c = l.cols;
    // Mapped backend and core: quantized inputs and outputs, kept inputs and outputs (at most
    // all of them), the network's activations in and out.
    double b = n * (r * (4 + 4 + 4 + 4) + c * (8 + 8 + 4 + 4) + 8);
    if (a.adc_lossless())
      b += n * (r * 4 + c * 4);  // the fast path's float (or double) product
    else
      b += n * (C * (4.0 + 8.0) + slices_in * std::min<double>(R, r) * 4 + c * (T + 1) * 8) +
           double(R) * C * 4;  // bit-serial: column sums, ADC codes, DAC digits, candidates
    per_thread = std::max(per_thread, b);
    weights += r * c * (4 + 4 + 8 + 4);  // the model's floats, quantized, fast-path copies
    cells += r * c * 2 * S * T;          // bit cells of the mapped layer, at most
  }
  per_thread += B * one.digital_elements * 4 * 2;
  memory_estimate e;
  e.add("data", double(data.pixels.size()) + double(data.labels.size()));
  const int p = int(parallel);
  e.add("batch buffers [" + std::to_string(p) + (p == 1 ? " thread" : " threads") + " x " +
            std::to_string(int(B)) + " images]",
        per_thread * parallel);
  e.add("weights", weights);
  e.add("fault lists", std::min(1.0, rate) * cells * 16);
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
