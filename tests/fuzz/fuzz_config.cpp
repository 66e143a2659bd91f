// libFuzzer target: service.json parsing. Any text must end in a Config or a Problem naming the key.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/service_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto config = nmo::config::parse_config(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!config.ok() && config.problem().message.empty()) __builtin_trap();
  return 0;
}
