/// Python bindings: `import rramft`. Every function calls the library code the rramft command
/// runs (apps/cmd_*.cpp call the same functions), so a result from Python equals the command's
/// file for the same arguments. Errors raise rramft.Error (a RuntimeError and a ValueError) with
/// the command's one-line message.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <systemc>
#include <vector>

#include "core/error.h"
#include "core/spec.h"
#include "energy/ert.h"
#include "engine/evaluate.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "models/model.h"
#include "models/network.h"
#include "rramft_version.h"
#include "testbenches/report.h"

/// libsystemc's main() calls sc_main; the module never runs that main, but the symbol must
/// resolve when Python loads the module (RTLD_NOW), so it is exported (pybind11 hides the
/// module's symbols by default).
__attribute__((visibility("default"))) int sc_main(int, char**) { return 0; }

namespace py = pybind11;

namespace rramft::python {

namespace {

/// A loaded model: what load_model() read. Every call binds a copy to its data.
struct model_handle {
  models::model m;
  std::string path;
};

/// An architecture: the file with the overrides applied and validated.
struct arch_handle {
  full_spec a;
  std::string file;
  std::vector<std::string> overrides;
};

/// A result as Python objects: the JSON text the command writes, parsed by Python's json
/// module, so the dict equals json.load() of the command's file.
py::object to_py(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(
      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

/// "key=value" of one override; bools as true/false, floats as Python's shortest repr.
std::string override_text(const std::string& key, const py::handle& v) {
  std::string value;
  if (py::isinstance<py::bool_>(v))
    value = v.cast<bool>() ? "true" : "false";
  else if (py::isinstance<py::int_>(v) || py::isinstance<py::float_>(v))
    value = py::str(py::repr(v)).cast<std::string>();
  else if (py::isinstance<py::str>(v))
    value = v.cast<std::string>();
  else
    throw error("overrides: key '" + error::one_line(key) + "': a " +
                py::str(py::type::of(v).attr("__name__")).cast<std::string>() +
                " is not a number, a string or a bool");
  return key + "=" + value;
}

arch_handle load_arch(const std::string& file, const py::object& overrides) {
  arch_handle h;
  h.file = file;
  if (!overrides.is_none()) {
    if (!py::isinstance<py::dict>(overrides))
      throw error("overrides: expected a dict of key: value, e.g. {'adc.bits': 6}");
    for (const auto& [k, v] : overrides.cast<py::dict>()) {
      if (!py::isinstance<py::str>(k)) throw error("overrides: keys must be strings ('adc.bits')");
      h.overrides.push_back(override_text(k.cast<std::string>(), v));
    }
  }
  // The overrides apply as --set does; errors about them name "overrides" instead of "--set".
  h.a = rramft::load_arch(file, h.overrides,
                          std::vector<std::string>(h.overrides.size(), "overrides"));
  return h;
}

/// A numpy array (or anything numpy.asarray takes) as the .npy reader gives it: integers and
/// bools as int64, floating point as float32, C order.
models::npy_array to_npy(const py::handle& h, const std::string& name) {
  const py::array a = py::module_::import("numpy").attr("asarray")(h);
  models::npy_array r;
  for (py::ssize_t d = 0; d < a.ndim(); ++d) r.shape.push_back(int64_t(a.shape(d)));
  const char kind = a.dtype().kind();
  if (kind == 'i' || kind == 'u' || kind == 'b') {
    const auto c = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    r.integer = true;
    r.i.assign(c.data(), c.data() + c.size());
  } else if (kind == 'f') {
    const auto c = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(a);
    r.f.assign(c.data(), c.data() + c.size());
  } else {
    throw error(name + ": numpy dtype '" + py::str(a.dtype()).cast<std::string>() +
                "' is not a number type (floating point, integer or bool)");
  }
  return r;
}

/// Samples from arrays @p x (first dimension: samples) and labels @p y (or None), named
/// @p name in errors and results. uint8 inputs stay 8-bit pixels, as idx images are (the zoo's
/// image models read those); other integers are int64 (token ids), the rest float32.
models::image_set to_data(const py::handle& x, const py::handle& y, const std::string& name) {
  const py::array xa = py::module_::import("numpy").attr("asarray")(x);
  const bool pixels = xa.dtype().kind() == 'u' && xa.dtype().itemsize() == 1;
  const models::npy_array xn = to_npy(xa, name);
  models::image_set s;
  if (y.is_none()) {
    s = models::from_arrays(xn, nullptr, name, "");
  } else {
    const models::npy_array yn = to_npy(y, "y");
    s = models::from_arrays(xn, &yn, name, "y");
  }
  if (pixels) {
    s.type = models::sample_type::u8;
    s.pixels.resize(size_t(s.n) * s.image_bytes());
    for (size_t k = 0; k < s.pixels.size(); ++k) s.pixels[k] = uint8_t(xn.i[k]);
  }
  s.name = name;
  return s;
}

/// Runs @p f with the GIL released (the engines use OpenMP threads of their own).
template <class F>
auto unlocked(F f) {
  py::gil_scoped_release release;
  return f();
}

py::object map_model(const model_handle& mh, const arch_handle& ah) {
  const models::model& m = mh.m;
  const mapping::chip_mapping cm = unlocked([&] { return mapping::map_model(m, ah.a); });
  return to_py(cm.to_json());
}

std::vector<std::string> protect_list(const py::object& protect) {
  if (py::isinstance<py::str>(protect)) return {protect.cast<std::string>()};
  return protect.cast<std::vector<std::string>>();
}

/// The architecture of @p ah with seed=@p seed applied after its overrides (as --seed does).
arch_spec with_seed(const arch_handle& ah, const py::object& seed) {
  if (seed.is_none()) return ah.a;
  const long long s = seed.cast<long long>();
  if (s < 0) throw error("--seed must be non-negative");
  std::vector<std::string> all = ah.overrides, sources(ah.overrides.size(), "overrides");
  all.push_back("seed=" + std::to_string(s));
  sources.push_back("command line");
  return rramft::load_arch(ah.file, all, sources);
}

/// The caller's calibration arrays (calib_x, calib_y) bound to @p m, or none: then the first
/// 1000 samples of the data calibrate, as for numpy data on the command line.
std::optional<models::image_set> own_calibration(models::model& m, const py::object& calib_x,
                                                 const py::object& calib_y) {
  if (calib_x.is_none()) return std::nullopt;
  models::image_set c = to_data(calib_x, calib_y, "calib_x");
  models::bind_data(m, c);
  return c;
}

py::object evaluate(const model_handle& mh, const arch_handle& ah, const py::object& x,
                    const py::object& y, const std::vector<double>& rates,
                    const py::object& protect, int trials, const py::object& seed, int batch,
                    const py::object& calib_x, const py::object& calib_y, int layer_error_images,
                    int threads, const std::string& split, const std::string& data_name) {
  engine::eval_options opt;
  opt.trials = trials;
  opt.batch = batch;
  opt.threads = threads;
  opt.layer_error_images = layer_error_images;
  opt.check();
  opt.split = engine::parse_split(split);
  if (rates.empty()) throw error("--rates: no values");
  for (double r : rates) engine::check_rate(r, py::str(py::float_(r)).cast<std::string>());
  opt.rates = rates;
  opt.protect = protect_list(protect);
  if (opt.protect.empty()) throw error("--protect: no values");
  const arch_spec arch = with_seed(ah, seed);
  engine::check_schemes(arch, opt.protect);
  models::model m = mh.m;
  models::image_set data = to_data(x, y, data_name);
  models::bind_data(m, data);
  const std::optional<models::image_set> calib = own_calibration(m, calib_x, calib_y);
  const engine::eval_report rep = unlocked([&] {
    models::image_set first;
    engine::prepare_calibration(m, arch, opt.protect, data, "", first, opt);
    if (opt.calibration && calib) opt.calibration = &*calib;
    engine::check_eval_footprint(m, arch, data, opt, "rramft.evaluate");
    return engine::evaluate(m, arch, data, opt);
  });
  return to_py(rep.to_json());
}

py::array_t<float> to_array(const std::vector<int64_t>& shape, const std::vector<float>& v) {
  std::vector<py::ssize_t> s(shape.begin(), shape.end());
  py::array_t<float> a(s);
  std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(float));
  return a;
}

py::dict infer(const model_handle& mh, const arch_handle& ah, const py::object& x,
               const py::object& y, const std::string& protect, double rate, int trial,
               const py::object& seed, int batch, const py::object& calib_x,
               const py::object& calib_y, const std::string& data_name) {
  engine::infer_options io;
  io.protect = protect;
  io.rate = rate;
  io.trial = trial;
  io.batch = batch;
  io.check();
  const arch_spec arch = with_seed(ah, seed);
  engine::check_schemes(arch, {protect});
  models::model m = mh.m;
  models::image_set data = to_data(x, y, data_name);
  models::bind_data(m, data);
  const std::optional<models::image_set> calib = own_calibration(m, calib_x, calib_y);
  const engine::infer_result r = unlocked([&] {
    engine::eval_options opt;
    models::image_set first;
    engine::prepare_calibration(m, arch, {protect}, data, "", first, opt);
    if (opt.calibration && calib) opt.calibration = &*calib;
    return engine::infer(m, arch, data, io, opt.calibration, mh.path);
  });
  py::dict d;
  d["float"] = to_array(r.shape, r.float_logits);
  d["mapped"] = to_array(r.shape, r.mapped_logits);
  d["faulty"] = to_array(r.shape, r.faulty_logits);
  d["info"] = to_py(r.json);
  return d;
}

/// SystemC elaborates once per simulation context: every run after the first gets a fresh
/// context. The old one is left as it is (its modules are destroyed; deleting the context
/// itself is not safe in SystemC 2.3).
void fresh_kernel() {
  static bool used = false;
  if (used) {
    sc_core::sc_curr_simcontext = new sc_core::sc_simcontext;
    sc_core::sc_default_global_context = sc_core::sc_curr_simcontext;
  }
  used = true;
}

py::object run(const model_handle& mh, const arch_handle& ah, const py::object& x,
               const py::object& y, const std::string& data_name) {
  const full_spec& arch = ah.a;
  const energy::table ert = energy::table::load(arch.energy_table);
  models::model m = mh.m;
  models::image_set data = to_data(x, y, data_name);
  models::bind_data(m, data);
  const sc::run_report rep = unlocked([&] {
    // Calibration and range profiles on the data itself, as for .npy data on the command line.
    const engine::chip_setup setup = engine::prepare_chip(
        m, arch, data, [&] { return data; }, mh.path, "rramft.run");
    fresh_kernel();
    sc::chip_run chip(setup, arch, m, data);
    chip.simulate();
    return chip.report(ert, mh.path);
  });
  return to_py(rep.json);
}

}  // namespace

}  // namespace rramft::python

PYBIND11_MODULE(rramft, mod) {
  using namespace rramft::python;
  namespace models = rramft::models;
  mod.doc() =
      "rramft: fault tolerance of ReRAM crossbar accelerators. The functions return what the "
      "rramft command writes (mapping.json, accuracy.json, report.json) as dicts.";
  mod.attr("__version__") = RRAMFT_VERSION;
  mod.attr("__git_commit__") = RRAMFT_GIT_COMMIT;  // "" when unknown
  // rramft.Error: a RuntimeError and a ValueError, with the command's one-line message.
  static PyObject* err = PyErr_NewExceptionWithDoc(
      "rramft.Error", "an rramft error: the command's one-line message",
      py::make_tuple(py::handle(PyExc_RuntimeError), py::handle(PyExc_ValueError)).release().ptr(),
      nullptr);
  mod.attr("Error") = py::handle(err);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const rramft::error& e) {
      PyErr_SetString(err, e.what());
    } catch (const sc_core::sc_report& e) {
      std::string msg = e.what();
      for (char& c : msg)
        if (c == '\n') c = ' ';
      PyErr_SetString(err, ("SystemC: " + msg).c_str());
    }
  });

  py::class_<model_handle>(mod, "Model", "a model loaded by rramft.load_model")
      .def_readonly("path", &model_handle::path)
      .def_property_readonly(
          "crossbar_layers", [](const model_handle& h) { return h.m.layers.size(); },
          "weight layers mapped onto crossbars")
      .def("__repr__", [](const model_handle& h) { return "<rramft.Model '" + h.path + "'>"; });
  py::class_<arch_handle>(mod, "Arch", "an architecture loaded by rramft.load_arch")
      .def_readonly("file", &arch_handle::file)
      .def_readonly("overrides", &arch_handle::overrides, "the overrides as key=value")
      .def(
          "yaml",
          [](const arch_handle& h) {
            YAML::Emitter e;
            e << h.a.to_yaml();
            return std::string(e.c_str());
          },
          "the effective architecture, every key (arch.yaml)")
      .def("__repr__", [](const arch_handle& h) { return "<rramft.Arch '" + h.file + "'>"; });

  mod.def(
      "load_model",
      [](const std::string& path) {
        model_handle h;
        h.m = models::load_model(path);
        h.path = path;
        return h;
      },
      py::arg("path"),
      "Loads a model: a zoo folder (config.json + model.safetensors) or an ONNX file.");
  mod.def("load_arch", &load_arch, py::arg("path"), py::arg("overrides") = py::none(),
          "Loads an architecture YAML file and applies overrides {key: value}, as --set does.");
  mod.def("map", &map_model, py::arg("model"), py::arg("arch"),
          "Maps the model onto the chip; returns the mapping report (mapping.json).");
  mod.def("evaluate", &evaluate, py::arg("model"), py::arg("arch"), py::arg("x"), py::arg("y"),
          py::kw_only(), py::arg("rates"),
          py::arg("protect") = std::vector<std::string>{"none", "vote"}, py::arg("trials") = 10,
          py::arg("seed") = py::none(), py::arg("batch") = 500, py::arg("calib_x") = py::none(),
          py::arg("calib_y") = py::none(), py::arg("layer_error_images") = 100,
          py::arg("threads") = 0, py::arg("split") = "chips", py::arg("data_name") = "x",
          "Accuracy under stuck-at faults on inputs x and labels y, per scheme and rate "
          "(accuracy.json, as rramft eval).");
  mod.def("infer", &infer, py::arg("model"), py::arg("arch"), py::arg("x"),
          py::arg("y") = py::none(), py::kw_only(), py::arg("protect") = "none",
          py::arg("rate") = 1e-3, py::arg("trial") = 0, py::arg("seed") = py::none(),
          py::arg("batch") = 500, py::arg("calib_x") = py::none(), py::arg("calib_y") = py::none(),
          py::arg("data_name") = "x",
          "Logits in float, on the fault-free mapped chip and on a faulty chip, as numpy "
          "arrays (rramft infer): {'float', 'mapped', 'faulty', 'info'}.");
  mod.def("run", &run, py::arg("model"), py::arg("arch"), py::arg("x"), py::arg("y"), py::kw_only(),
          py::arg("data_name") = "x",
          "Runs the SystemC chip model on inputs x (labels y); returns report.json as a dict.");
}
