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
#include "core/output.h"
#include "engine/evaluate.h"
#include "models/idx.h"
#include "models/model.h"
#include "models/network.h"

namespace rramft::app {

namespace {

double share_correct(const std::vector<float>& logits, const models::image_set& d, int classes) {
  int64_t c = 0;
  for (int i = 0; i < d.n; ++i) {
    const float* l = &logits[size_t(i) * size_t(classes)];
    c += int(std::max_element(l, l + classes) - l) == d.labels[size_t(i)];
  }
  return double(c) / double(std::max(1, d.n));
}

}  // namespace

int cmd_infer(int argc, char** argv) {
  arch_args arch_a;
  std::string model_dir, out_dir, data_spec, protect = "none",
                                             calib_spec = "fashion-mnist-train:1000";
  double rate = 1e-3;
  int trial = 0, batch = 500;
  long long seed = -1;
  po::options_description opts("rramft infer options");
  opts.add_options()("help,h", "show this help")(
      "model", po::value(&model_dir)->required(),
      "model folder (config.json + model.safetensors) or ONNX file (FILE.onnx)");
  arch_a.add_to(opts);
  opts.add_options()("data", po::value(&data_spec)->required(),
                     "fashion-mnist[:N], DIR[:N] (idx), FILE.npz[:N] (arrays x and optional y), "
                     "X.npy[,Y.npy][:N]")("rate", po::value(&rate),
                                          "cell failure rate of the faulty chip (default 1e-3)")(
      "protect", po::value(&protect),
      "protection scheme of the mapped and faulty chips, as one name of eval's --protect "
      "(default none)")("trial", po::value(&trial),
                        "which of eval's Monte Carlo chips is the faulty one (default 0)")(
      "seed", po::value(&seed), "base seed (sets seed; default the architecture's)")(
      "calib", po::value(&calib_spec),
      "calibration data for input_scale: calibrated and range checks (default "
      "fashion-mnist-train:1000; for .npy/.npz data its first 1000 samples)")(
      "batch", po::value(&batch), "samples per forward pass (default 500)")(
      "out", po::value(&out_dir)->required(), "output folder");
  po::variables_map vm;
  if (!parse_command("infer", argc, argv, opts, vm)) return 0;
  const output_lock lock(out_dir);  // one run per folder; a second one is refused now
  if (!(rate >= 0 && rate <= 1))
    throw error("--rate: " + std::to_string(rate) + " is not a probability");
  if (trial < 0 || trial > 100000)
    throw error("--trial: " + std::to_string(trial) + " is not in 0..100000");
  if (batch < 1) throw error("--batch must be positive");
  std::vector<std::string> extra;
  if (seed >= 0)
    extra.push_back("seed=" + std::to_string(seed));
  else if (vm.count("seed"))
    throw error("--seed must be non-negative");
  const arch_spec arch = arch_a.load(extra);
  arch_spec probe = arch;
  apply_scheme(probe, protect);  // validates the name before any work

  models::model m = models::load_model(model_dir);
  models::image_set data = models::load_dataset(data_spec);
  models::bind_data(m, data);
  engine::eval_options opt;
  opt.protect = {protect};
  opt.rates = {rate};
  opt.trials = trial + 1;
  opt.batch = batch;
  models::image_set calib;
  if (arch.input_scale == "calibrated" || probe.protection.range) {
    if (!vm.count("calib") && models::is_array_spec(data_spec)) {
      calib = models::first_samples(data, 1000);
    } else {
      calib = models::load_dataset(calib_spec);
      models::bind_data(m, calib);
    }
    opt.calibration = &calib;
  }
  const engine::experiment ex(m, arch, data, opt);
  const std::vector<float> fl = ex.float_logits(), mapped = ex.reference_logits(0),
                           faulty = ex.trial_logits(0, 0, trial);

  const models::network net(m);
  const int classes = net.num_classes();
  const int positions = m.network_graph ? m.positions : 1;
  std::vector<int64_t> shape = {data.n};
  if (positions != 1) shape.push_back(positions);
  shape.push_back(classes);
  nlohmann::json j = {{"model", model_dir},
                      {"data", data.name},
                      {"samples", data.n},
                      {"crossbar_layers", m.layers.size()},
                      {"logits_shape", shape},
                      {"protect", probe.scheme_name()},
                      {"rate", rate},
                      {"trial", trial},
                      {"seed", arch.seed},
                      {"chip_seed", engine::trial_seed(arch.seed, trial)},
                      {"files", {"float.npy", "mapped.npy", "faulty.npy"}}};
  const bool labelled = !data.labels.empty() && positions == 1;
  if (labelled) {
    j["float_accuracy"] = share_correct(fl, data, classes);
    j["mapped_accuracy"] = share_correct(mapped, data, classes);
    j["faulty_accuracy"] = share_correct(faulty, data, classes);
  }
  result_set out(out_dir);
  out.write("float.npy", models::npy_bytes(shape, fl));
  out.write("mapped.npy", models::npy_bytes(shape, mapped));
  out.write("faulty.npy", models::npy_bytes(shape, faulty));
  out.write("infer.json", j.dump(2) + "\n");
  out.commit();
  if (labelled)
    std::printf(
        "accuracy on %d samples: float %.2f%%, mapped %.2f%%, faulty (rate %g, trial %d) %.2f%%\n",
        data.n, 100 * j["float_accuracy"].get<double>(), 100 * j["mapped_accuracy"].get<double>(),
        rate, trial, 100 * j["faulty_accuracy"].get<double>());
  std::printf("wrote %s/float.npy, mapped.npy, faulty.npy, infer.json\n", out_dir.c_str());
  return 0;
}

}  // namespace rramft::app
