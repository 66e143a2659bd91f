// libFuzzer target: prefetch template rendering. Input: template, then patientId, userId and encounterId, each
// separated by a NUL byte. Rendering must either succeed with every token replaced or name the problem.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/prefetch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string parts[4];
  for (auto& part : parts) {
    const auto nul = rest.find('\0');
    part = std::string(rest.substr(0, nul));
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  }
  const nmo::fhir::PrefetchContext ctx{parts[1], parts[2], parts[3]};
  const bool valid = nmo::fhir::prefetch_template_valid(parts[0]);
  auto rendered = nmo::fhir::render_prefetch(parts[0], ctx);
  if (rendered.ok()) {
    if (rendered->find("{{") != std::string::npos && parts[0].find("{{") != std::string::npos && valid &&
        parts[1].find("{{") == std::string::npos && parts[2].find("{{") == std::string::npos &&
        parts[3].find("{{") == std::string::npos) {
      __builtin_trap();  // a valid template rendered with token-free values must leave no token behind
    }
  } else if (rendered.problem().message.empty()) {
    __builtin_trap();
  }
  return 0;
}
