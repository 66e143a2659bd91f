// libFuzzer target: a whole CDS Hooks request body through validation, prefetch reading, the engine and the
// response writer, for each of the three services. Any input must end in cards or a Problem: never a crash,
// an abort, a sanitizer report or an unbounded allocation.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "service/hook_call.hpp"
#include "service/runtime.hpp"
#include "service/services.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const nmo::service::Runtime runtime = [] {
    nmo::service::Runtime r;
    r.knowledge = nmo::fuzz::knowledge();
    r.json_limits = nmo::service::json_limits_from(r.config);
    return r;
  }();
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const auto& service : nmo::service::services()) {
    auto outcome = nmo::service::call_hook(service, body, runtime, 1795478400);  // 2026-11-24T00:00:00Z
    if (outcome.ok() && outcome->body.rfind("{\"cards\":[", 0) != 0) __builtin_trap();
  }
  return 0;
}
