#pragma once
/// @file footprint.h
/// @brief Memory estimates of the engines, checked before a job starts (io/memory.h): the
/// accuracy engine's batch buffers and fault lists, the chip model's programmed crossbars.
/// The shapes come from one float pass of one image (vectors per image of every weight layer,
/// the largest digital tensor), so every family, present and future, is covered alike.
#include <vector>

#include "core/layer.h"
#include "core/spec.h"
#include "io/memory.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "models/model.h"
#include "models/network.h"

namespace rramft::engine {

/// @brief What one image does to the network: vectors through each weight layer (tokens, or
/// output positions of a convolution) and the largest digital tensor (elements).
struct image_shape {
  std::vector<double> vectors;  ///< per weight layer
  double digital_elements = 0;  ///< largest tensor of a digital step (softmax scores, ...)
};
image_shape shape_of_one_image(const models::network& net);

/// @brief `rramft eval` on @p data with batches of @p batch images on @p threads threads (0: as
/// many as OpenMP will use),
/// schemes @p copies (candidates per protected plane, 1 for none), up to failure rate @p rate
/// (stuck-at; transient flips are drawn per read and not stored): the data, the batch buffers of
/// every thread, the mapped weights, and the fault lists and prepared products of one chip (@p
/// chips_in_parallel: of one chip per thread).
memory_estimate eval_footprint(const models::model& m, const arch_spec& a,
                               const models::image_set& data, int batch, int threads,
                               int max_copies, double rate, bool chips_in_parallel = false);

/// @brief `rramft run`: every programmed crossbar's cell levels (read levels, faults included)
/// of each mapping in @p chips, copies of the fault lists (@p faulty_cells entries in all) and
/// the platform's memory image.
memory_estimate run_footprint(const std::vector<const mapping::chip_mapping*>& chips,
                              double faulty_cells, const models::image_set& data);

}  // namespace rramft::engine
