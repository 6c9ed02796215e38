#include "rramft/chip.h"

#include "core/error.h"
#include "engine/evaluate.h"
#include "engine/mapped_backend.h"
#include "models/network.h"

namespace rramft {

namespace {

/// The mapping and the faults of the chip that @p s.arch's seed and fault keys draw.
void map_and_fault(chip_setup& s) {
  s.mapping = mapping::map_model(s.model, s.arch);
  const fault_map chip(s.arch.fault, s.arch.seed, s.arch.cell_bits);
  s.errors.clear();
  for (const auto& l : s.mapping.layers) s.errors.push_back(read_errors(l, chip, 0));
}

}  // namespace

std::unique_ptr<chip_setup> prepare_chip(const std::string& model_path, const arch_spec& arch,
                                         models::image_set& data, const std::string& data_spec,
                                         const std::string& calib_spec) {
  auto s = std::make_unique<chip_setup>();
  s->arch = arch;
  s->model = models::load_model(model_path);
  models::bind_data(s->model, data);
  if (s->model.network_graph && s->model.positions != 1)
    throw error(model_path + ": gives " + std::to_string(s->model.positions) +
                " outputs per sample; the chip model classifies (one class per sample)");
  const models::network net(s->model);
  net.check_data(data);
  map_and_fault(*s);
  const bool calibrate = arch.input_scale == "calibrated";
  if (calibrate || arch.protection.range) {
    models::image_set calib;
    if (!calib_spec.empty()) {
      calib = models::load_dataset(calib_spec, "--calib");
      models::bind_data(s->model, calib);
    } else if (models::is_array_spec(data_spec)) {
      calib = models::first_samples(data, 1000);
    } else {
      calib = models::load_dataset("fashion-mnist-train:1000");
      models::bind_data(s->model, calib);
    }
    if (calibrate) {
      engine::calibrating_backend cb(s->model);
      engine::accuracy(net, cb, calib);
      s->scales = cb.scales(arch);
    }
    // SAVE's range checks: the SFU's bounds, profiled on the fault-free chip.
    if (arch.protection.range) engine::profile_ranges(s->mapping, s->model, calib, s->scales);
  }
  return s;
}

std::unique_ptr<chip_setup> prepare_chip(const chip_setup& like, const arch_spec& other) {
  auto s = std::make_unique<chip_setup>();
  s->arch = other;
  s->model = like.model;
  s->scales = like.scales;
  map_and_fault(*s);
  return s;
}

std::unique_ptr<sc::accelerator> make_accelerator(sc_core::sc_module_name name,
                                                  const chip_setup& s) {
  return std::make_unique<sc::accelerator>(name, s.arch, s.mapping, s.model, s.errors, s.scales);
}

}  // namespace rramft
