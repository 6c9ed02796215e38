#include "rramft/chip.h"

#include "testbenches/blocks.h"

namespace rramft {

std::unique_ptr<chip_setup> prepare_chip(const std::string& model_path, const full_spec& arch,
                                         models::image_set& data, const std::string& data_spec) {
  auto s = std::make_unique<chip_setup>();
  s->chip_keys = arch;
  s->model = models::load_model(model_path);
  models::bind_data(s->model, data);
  models::model& m = s->model;
  s->chip = engine::prepare_chip(
      m, arch, data,
      [&] {  // calibration and range profiles: the data itself for numpy data, else training images
        if (models::is_array_spec(data_spec)) return data;
        models::image_set c = models::load_dataset("fashion-mnist-train:1000");
        models::bind_data(m, c);
        return c;
      },
      model_path, "rramft run");
  return s;
}

std::unique_ptr<sc::accelerator> make_accelerator(sc_core::sc_module_name name,
                                                  const chip_setup& s) {
  return std::make_unique<sc::accelerator>(name, full_spec{s.chip.arch, s.chip_keys}, s.chip.cm,
                                           s.model, s.chip.faults(), s.chip.scales,
                                           sc::chip_blocks());
}

}  // namespace rramft
