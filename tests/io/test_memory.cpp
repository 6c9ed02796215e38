#include <catch2/catch.hpp>
#include <cstdlib>

#include "core/error.h"
#include "io/memory.h"

using rramft::memory_estimate;

TEST_CASE("memory sizes are written in binary units", "[memory]") {
  CHECK(rramft::format_bytes(100) == "100 B");
  CHECK(rramft::format_bytes(1536) == "1.5 KiB");
  CHECK(rramft::format_bytes(20.0 * 1024 * 1024) == "20 MiB");
  CHECK(rramft::format_bytes(372.4 * 1024 * 1024 * 1024) == "372 GiB");
  CHECK(rramft::format_bytes(64.0 * 1024 * 1024 * 1024 * 1024 * 1024) == "64 PiB");
}

TEST_CASE("an estimate above the limit is refused with its parts, largest first", "[memory]") {
  setenv("RRAMFT_MEMORY_LIMIT", "1M", 1);
  CHECK(rramft::available_memory() == 1024.0 * 1024);
  memory_estimate e;
  e.add("small", 1000);
  e.add("large", 3.0 * 1024 * 1024);
  e.add("small", 24);  // same name: adds up
  CHECK(e.total() == 3.0 * 1024 * 1024 + 1024);
  CHECK_THROWS_WITH(e.check("job", "do less"),
                    "job needs about 3.0 MiB (large 3.0 MiB, small 1.0 KiB) of memory, more than "
                    "the 1.0 MiB available; do less");
  memory_estimate fits;
  fits.add("a", 1024 * 1024);  // exactly the limit: allowed
  CHECK_NOTHROW(fits.check("job"));
  setenv("RRAMFT_MEMORY_LIMIT", "2.5G", 1);
  CHECK(rramft::available_memory() == 2.5 * 1024 * 1024 * 1024);
  setenv("RRAMFT_MEMORY_LIMIT", "12KiB", 1);
  CHECK(rramft::available_memory() == 12 * 1024);
  setenv("RRAMFT_MEMORY_LIMIT", "-3", 1);
  CHECK_THROWS_WITH(rramft::available_memory(), Catch::Contains("'-3' is not a size"));
  unsetenv("RRAMFT_MEMORY_LIMIT");
  // Without a limit set by hand: what the machine has, which is some positive amount.
  CHECK(rramft::available_memory() > 0);
  memory_estimate absurd;
  absurd.add("everything", 1e30);
  CHECK_THROWS_WITH(absurd.check("job"), Catch::Contains("job needs about"));
}
