/// Benchmark of the SystemC chip model (not a test): wall time per image of the pruned ViT
/// through the full chip model with traces off, simulated MVMs (row-block jobs and vectors)
/// per wall second, and the share of the wall time spent outside the functional arithmetic
/// (SystemC kernel, sockets, payloads, bookkeeping), estimated by running the same images
/// through the same datapath steps without SystemC (the engine's bit-serial path).
/// Usage: bench_chip [MODEL_DIR] [IMAGES] [THREADS]  (OpenMP threads, default 1 as rramft run)
#include <malloc.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <chrono>
#include <cstdio>
#include <string>
#include <systemc>

#include "core/faults.h"
#include "engine/mapped_backend.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "testbenches/platform.h"

using namespace rramft;

int sc_main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  const std::string src = RRAMFT_SOURCE_DIR;
  const std::string model = argc > 1 ? argv[1] : src + "/models/zoo/vit-pruned";
  const int n = argc > 2 ? std::atoi(argv[2]) : 20;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
  const full_spec a = load_arch(src + "/configs/default.yaml", {"fault.rate=0.001"});
  const models::model m = models::load_model(model);
  const models::image_set data = models::load_dataset("fashion-mnist:" + std::to_string(n));
  const mapping::chip_mapping cm = mapping::map_model(m, a);
  const fault_map chip(a.fault, a.seed, a.cell_bits);
  sc::platform top("top", a, cm, m, chip, {}, data.pixels.data(), n, data.image_bytes());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  auto t0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double sim = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t jobs = 0, vectors = 0;
  jobs = top.i_acc->ctrl().st.jobs;
  vectors = top.i_acc->ctrl().st.vectors;

  // The same arithmetic, image by image, without SystemC.
  const models::network net(m);
  engine::mapped_backend mb(cm, m, chip, {}, mvm_path::bit_serial);
  std::vector<float> logits(size_t(net.num_classes()));
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    net.forward_images(&data.pixels[size_t(i) * data.image_bytes()], 1, mb, logits.data());
  const double plain = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("model %s, %d images, %d OpenMP threads, chip model %.3f s wall\n", model.c_str(), n,
              threads, sim);
  std::printf("  wall per image:                 %.1f ms (target < 1000 ms)\n", 1e3 * sim / n);
  std::printf("  simulated row-block MVM jobs:   %.0f per wall second (%llu jobs)\n", jobs / sim,
              (unsigned long long)jobs);
  std::printf("  simulated vector MVMs:          %.0f per wall second (%llu layer-vectors)\n",
              vectors / sim, (unsigned long long)vectors);
  std::printf("  same datapath without SystemC:  %.3f s; share outside the arithmetic: %.1f%%\n",
              plain, 100.0 * (sim - plain) / sim);
  return 0;
}
