/// `rramft infer`: the logits of every sample, as .npy, in float, on the fault-free mapped chip
/// and on one faulty chip (the chip of eval's Monte Carlo trial K at one rate), so that
/// independent tools can compare outputs, not only accuracies.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "apps/cli.h"
#include "core/error.h"
#include "engine/evaluate.h"
#include "io/output.h"
#include "models/idx.h"
#include "models/model.h"
#include "models/network.h"

namespace rramft::app {

int cmd_infer(int argc, char** argv) {
  arch_args arch_a;
  engine::infer_options io;
  std::string model_dir, out_dir, data_spec, calib_spec = "fashion-mnist-train:1000";
  long long seed = -1;
  po::options_description opts("rramft infer options");
  opts.add_options()("help,h", "show this help")(
      "model", po::value(&model_dir)->required(),
      "model folder (config.json + model.safetensors) or ONNX file (FILE.onnx)");
  arch_a.add_to(opts);
  opts.add_options()("data", po::value(&data_spec)->required(),
                     "fashion-mnist[:N], DIR[:N] (idx), FILE.npz[:N] (arrays x and optional y), "
                     "X.npy[,Y.npy][:N]")("rate", po::value(&io.rate),
                                          "cell failure rate of the faulty chip (default 1e-3)")(
      "protect", po::value(&io.protect),
      "protection scheme of the mapped and faulty chips, as one name of eval's --protect "
      "(default none)")("trial", po::value(&io.trial),
                        "which of eval's Monte Carlo chips is the faulty one (default 0)")(
      "seed", po::value(&seed), "base seed (sets seed; default the architecture's)")(
      "calib", po::value(&calib_spec),
      "calibration data for input_scale: calibrated and range checks (default "
      "fashion-mnist-train:1000; for .npy/.npz data its first 1000 samples)")(
      "batch", po::value(&io.batch), "samples per forward pass (default 500)")(
      "out", po::value(&out_dir)->required(), "output folder");
  po::variables_map vm;
  if (!parse_command("infer", argc, argv, opts, vm)) return 0;
  const output_lock lock(out_dir);  // one run per folder; a second one is refused now
  io.check();
  std::vector<std::string> extra;
  if (seed >= 0)
    extra.push_back("seed=" + std::to_string(seed));
  else if (vm.count("seed"))
    throw error("--seed must be non-negative");
  const arch_spec arch = arch_a.load(extra);
  {
    arch_spec probe = arch;
    apply_scheme(probe, io.protect);  // validates the name before any work
  }

  models::model m = models::load_model(model_dir);
  models::image_set data = models::load_dataset(data_spec);
  models::bind_data(m, data);
  engine::eval_options opt;
  models::image_set calib;
  engine::prepare_calibration(
      m, arch, {io.protect}, data,
      !vm.count("calib") && models::is_array_spec(data_spec) ? "" : calib_spec, calib, opt);
  const engine::infer_result r = engine::infer(m, arch, data, io, opt.calibration, model_dir);
  const nlohmann::json& j = r.json;
  const bool labelled = j.contains("float_accuracy");
  result_set out(out_dir);
  out.write("float.npy", models::npy_bytes(r.shape, r.float_logits));
  out.write("mapped.npy", models::npy_bytes(r.shape, r.mapped_logits));
  out.write("faulty.npy", models::npy_bytes(r.shape, r.faulty_logits));
  out.write("infer.json", j.dump(2) + "\n");
  out.commit();
  if (labelled)
    std::printf(
        "accuracy on %d samples: float %.2f%%, mapped %.2f%%, faulty (rate %g, trial %d) %.2f%%\n",
        data.n, 100 * j["float_accuracy"].get<double>(), 100 * j["mapped_accuracy"].get<double>(),
        io.rate, io.trial, 100 * j["faulty_accuracy"].get<double>());
  std::printf("wrote %s/float.npy, mapped.npy, faulty.npy, infer.json\n", out_dir.c_str());
  return 0;
}

}  // namespace rramft::app
