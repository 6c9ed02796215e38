#pragma once
/// @file chip.h
/// @brief The public entry to rramft's SystemC/TLM-2.0 chip model, for one's own virtual
/// platform: prepare a chip once (model, architecture, fault map, activation scales) and build
/// the accelerator sc_module, whose sockets and interrupt go on one's own bus.
///
///     #include <rramft/chip.h>
///     auto data = rramft::models::load_dataset("data.npz");
///     auto setup = rramft::prepare_chip("model.onnx", rramft::load_arch("arch.yaml"),
///                                       data, "data.npz");
///     auto acc = rramft::make_accelerator("acc", *setup);
///     cpu.socket.bind(acc->cpu2acc);      // registers: docs/chip.md, "Register map"
///     acc->acc2mem.bind(memory.socket);   // the accelerator's DMA
///     cpu.irq.bind(acc->s_irq);           // the done interrupt
///
/// Link rramft::chip (find_package(rramft)); docs/install.md.
#include <memory>
#include <string>

#include "chipspec/chip_spec.h"
#include "engine/evaluate.h"
#include "io/arch_file.h"
#include "models/idx.h"
#include "models/model.h"
#include "tiles/accelerator.h"

namespace rramft {

/// @brief Everything one accelerator instance refers to, derived once; it must outlive the
/// accelerators built from it (make_accelerator), hence always held by a unique_ptr.
struct chip_setup {
  models::model model;      ///< the network, bound to the data's shapes
  engine::chip_setup chip;  ///< its mapping, this chip's faults, scales; the unprotected baseline
  chip_spec chip_keys;      ///< the chip model's keys: structure, timing, energy table, RTL
};

/// @brief Loads the model (a zoo folder or an .onnx file), binds it to @p data (shapes, dtype),
/// checks that it classifies (one output per sample), maps it onto @p arch (and onto the same
/// chip without protection, the baseline `rramft run` reports against), reads the faults of the
/// chip that @p arch's seed and fault keys draw, and calibrates (input_scale: calibrated, range
/// checks) on the data itself when @p data_spec names numpy files, else on the first 1000
/// Fashion-MNIST training images. rramft::error names the file, key, node or tensor at fault.
std::unique_ptr<chip_setup> prepare_chip(const std::string& model_path, const full_spec& arch,
                                         models::image_set& data, const std::string& data_spec);

/// @brief The accelerator sc_module of @p s's chip under test (@p s must outlive it): a TLM target
/// socket for the CPU's register accesses (cpu2acc), a TLM initiator socket for its DMA
/// (acc2mem) and the done interrupt (s_irq).
std::unique_ptr<sc::accelerator> make_accelerator(sc_core::sc_module_name name,
                                                  const chip_setup& s);

}  // namespace rramft
