#pragma once
// The trusted JWT issuers file (auth.issuers_file), parsed from text:
//   {"issuers": [{"iss": "https://ehr.example.org",
//                 "jwks_file": "keys/ehr-jwks.json",                         (optional; relative to this file)
//                 "jku": ["https://ehr.example.org/.well-known/jwks.json"],   (optional allowlist of exact URLs)
//                 "tenants": ["t1"]}]}                                        (optional; empty: not checked)
// Each issuer needs a jwks_file or at least one jku. A jku is https://, or http:// to a loopback host.

#include <string>
#include <string_view>
#include <vector>

#include "fhir/problem.hpp"

namespace nmo::config {

struct IssuerEntry {
  std::string iss;
  std::string jwks_file;
  std::vector<std::string> jku;
  std::vector<std::string> tenants;
};

/// The issuers, or a Problem whose path names the element at fault ("issuers[1].jku[0]"). An unknown member, a
/// duplicate iss, an empty iss or an unacceptable jku URL is a Problem.
fhir::Result<std::vector<IssuerEntry>> parse_issuers(std::string_view json_text);

/// https://, or http:// to 127.0.0.1, [::1] or localhost (CDS Hooks 2.0 §5: "Everything over HTTPS").
bool is_acceptable_jku(std::string_view url);

}  // namespace nmo::config
