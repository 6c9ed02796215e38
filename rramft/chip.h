#pragma once
/// @file chip.h
/// @brief The public entry to rramft's SystemC/TLM-2.0 chip model, for one's own virtual
/// platform: prepare a chip once (model, architecture, fault map, activation scales) and build
/// the accelerator sc_module, whose sockets and interrupt go on one's own bus.
///
///     #include <rramft/chip.h>
///     auto data = rramft::models::load_dataset("data.npz");
///     auto setup = rramft::prepare_chip("model.onnx", rramft::arch_spec::load("arch.yaml"),
///                                       data, "data.npz");
///     auto acc = rramft::make_accelerator("acc", *setup);
///     cpu.socket.bind(acc->cpu2acc);      // registers: tiles/accelerator.h, docs/chip.md
///     acc->acc2mem.bind(memory.socket);   // the accelerator's DMA
///     cpu.irq.bind(acc->s_irq);           // the done interrupt
///
/// Link rramft::chip (find_package(rramft)). The accelerator's registers, its DMA and the
/// interrupt are documented in docs/chip.md ("Register map").
#include <memory>
#include <string>
#include <vector>

#include "core/faults.h"
#include "core/spec.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "models/model.h"
#include "tiles/accelerator.h"

namespace rramft {

/// @brief Everything one accelerator instance refers to, derived once: it must outlive the
/// accelerator built from it (make_accelerator), hence always held by a unique_ptr.
struct chip_setup {
  arch_spec arch;                               ///< the architecture, overrides applied
  models::model model;                          ///< the network, bound to the data's shapes
  mapping::chip_mapping mapping;                ///< the model on this architecture's crossbars
  std::vector<std::vector<cell_error>> errors;  ///< per layer, the cells that read wrong
  std::vector<double> scales;                   ///< calibrated activation scales, or empty
};

/// @brief Loads the model (a zoo folder or an .onnx file), binds it to @p data (shapes, dtype),
/// checks that it classifies (one output per sample), maps it onto @p arch, reads the faults of
/// the chip that @p arch's seed and fault keys draw, and calibrates (input_scale: calibrated and
/// range checks) on @p calib_spec, or, when it is empty, on the first 1000 samples of numpy
/// data or the first 1000 Fashion-MNIST training images.
/// @p data_spec is how @p data was named (models::load_dataset). rramft::error names the file,
/// key, node or tensor at fault.
std::unique_ptr<chip_setup> prepare_chip(const std::string& model_path, const arch_spec& arch,
                                         models::image_set& data, const std::string& data_spec,
                                         const std::string& calib_spec = "");

/// @brief The same model, scales and chip (seed, fault map) under another architecture
/// @p other, e.g. without protection, to state what the protection costs.
std::unique_ptr<chip_setup> prepare_chip(const chip_setup& like, const arch_spec& other);

/// @brief The accelerator sc_module for @p s (which must outlive it): a TLM target socket for the
/// CPU's register accesses (cpu2acc), a TLM initiator socket for its DMA (acc2mem) and the done
/// interrupt (s_irq).
std::unique_ptr<sc::accelerator> make_accelerator(sc_core::sc_module_name name,
                                                  const chip_setup& s);

}  // namespace rramft
