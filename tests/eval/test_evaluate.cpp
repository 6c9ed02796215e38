#include <catch2/catch.hpp>

#include "core/error.h"
#include "engine/evaluate.h"
#include "engine/mapped_backend.h"
#include "mapping/mapping.h"

using namespace rramft;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;
}

TEST_CASE("summaries use the sample deviation and Student's t", "[eval][stats]") {
  engine::eval_point p;
  p.acc = {0.5, 0.6, 0.7};
  engine::summarize(p);
  CHECK(p.mean == Approx(0.6));
  CHECK(p.std == Approx(0.1));
  // t(0.975, 2 dof) = 4.302652729911275
  CHECK(p.ci95_high - p.mean == Approx(4.302652729911275 * 0.1 / std::sqrt(3.0)));
  p.acc = {0.9};
  engine::summarize(p);
  CHECK(p.ci95_low == p.ci95_high);
}

TEST_CASE("eval is deterministic and its references are consistent", "[eval][determinism]") {
  const auto m = models::load_model(src + "/models/zoo/mlp-pruned");
  const auto data = models::load_dataset("fashion-mnist:300");
  arch_spec a = arch_spec::load(src + "/configs/default.yaml");
  engine::eval_options opt;
  opt.protect = {"none", "vote"};
  opt.rates = {0.05, 0.01};
  opt.trials = 2;
  opt.batch = 128;
  const auto r1 = engine::evaluate(m, a, data, opt);
  const auto r2 = engine::evaluate(m, a, data, opt);
  CHECK(r1.to_json() == r2.to_json());
  REQUIRE(r1.points.size() == 4);
  CHECK(r1.points[0].rate == 0.01);  // rates are sorted
  // Fault-free mapped accuracy equals a direct run with a clean chip.
  const auto cm = mapping::map_model(m, a);
  const fault_map clean(arch_spec::fault_spec{}, 1, 1);
  engine::mapped_backend mb(cm, m, clean, 0);
  const models::network net(m);
  CHECK(engine::accuracy(net, mb, data) == r1.schemes[1].fault_free);
  // Trial k of a point is the chip trial_seed(seed, k): recompute one by hand.
  arch_spec af = a;
  af.fault.rate = 0.05;
  apply_scheme(af, "none");
  const auto cmn = mapping::map_model(m, af);
  engine::mapped_backend one(cmn, m, fault_map(af.fault, engine::trial_seed(a.seed, 1), 1), 1);
  CHECK(engine::accuracy(net, one, data) == r1.points[1].acc[1]);
  CHECK(r1.points[1].acc[0] != r1.points[1].acc[1]);  // different chips
}

TEST_CASE("eval refuses nonsense before working", "[eval][bad-input]") {
  const auto m = models::load_model(src + "/models/zoo/mlp-pruned");
  const auto data = models::load_dataset("fashion-mnist:10");
  arch_spec a;
  engine::eval_options opt;
  opt.trials = 0;
  CHECK_THROWS_WITH(engine::evaluate(m, a, data, opt), Catch::Contains("--trials"));
  opt.trials = 1;
  opt.protect = {"ecc"};
  CHECK_THROWS_WITH(engine::evaluate(m, a, data, opt), Catch::Contains("'ecc' is not one of"));
}
