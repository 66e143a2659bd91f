// libFuzzer target: JWT and JWK Set parsing, claim checks and signature verification (the sandbox's real P-384
// key). Input: a first byte choosing the mode, then a compact JWS or a JWK Set. Hostile tokens must end in a
// refusal reason, never a crash, an abort or a sanitizer report.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "service/auth/jwt.hpp"

namespace jwt = nmo::service::auth::jwt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<jwt::PublicKey> keys = [] {
    std::ifstream in(std::string(NMO_SOURCE_DIR) + "/config/keys/sandbox-jwks.json");
    std::ostringstream ss;
    ss << in.rdbuf();
    auto parsed = jwt::parse_jwks(ss.str());
    return parsed ? *parsed : std::vector<jwt::PublicKey>{};
  }();
  static const std::vector<std::string> algorithms = {"ES384", "RS384", "ES256", "RS256", "PS384"};
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    const auto result = jwt::parse(text, algorithms);
    if (result.reason != jwt::Reason::ok) return 0;
    const jwt::ClaimPolicy policy{"http://localhost:8080/cds-services", 1795478400, 60, 3600, {}};
    (void)jwt::check_claims(result.token, policy);
    for (const auto& key : keys) (void)jwt::verify_signature(result.token, key);
  } else {
    auto set = jwt::parse_jwks(text);
    if (!set && set.problem().message.empty()) __builtin_trap();
  }
  return 0;
}
