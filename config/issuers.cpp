#include "config/issuers.hpp"

#include <algorithm>
#include <optional>

#include "fhir/json.hpp"

namespace nmo::config {
namespace {

using fhir::Problem;
using fhir::ProblemKind;

Problem bad(std::string path, std::string message) {
  return fhir::make_problem(ProblemKind::invalid, path, path + ": " + std::move(message));
}

std::optional<Problem> string_list(const rapidjson::Value& v, const std::string& path, std::vector<std::string>& out) {
  if (!v.IsArray()) return bad(path, "expected an array of strings");
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (!v[i].IsString() || v[i].GetStringLength() == 0) return bad(fhir::path_index(path, i), "expected a string");
    out.emplace_back(v[i].GetString(), v[i].GetStringLength());
  }
  return std::nullopt;
}

}  // namespace

bool is_acceptable_jku(std::string_view url) {
  if (url.rfind("https://", 0) == 0) return url.size() > 8;
  if (url.rfind("http://", 0) != 0) return false;
  const std::string_view rest = url.substr(7);
  for (std::string_view host : {"127.0.0.1", "[::1]", "localhost"}) {
    if (rest.rfind(host, 0) == 0 &&
        (rest.size() == host.size() || rest[host.size()] == ':' || rest[host.size()] == '/')) {
      return true;
    }
  }
  return false;
}

fhir::Result<std::vector<IssuerEntry>> parse_issuers(std::string_view json_text) {
  auto doc = fhir::parse_json(json_text);
  if (!doc) return doc.problem();
  if (!doc->IsObject() || !doc->HasMember("issuers") || !(*doc)["issuers"].IsArray() || doc->MemberCount() != 1) {
    return bad("issuers", "expected {\"issuers\": [...]}");
  }
  std::vector<IssuerEntry> out;
  const auto& list = (*doc)["issuers"];
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const std::string path = fhir::path_index("issuers", i);
    const auto& v = list[i];
    if (!v.IsObject()) return bad(path, "expected an object");
    IssuerEntry e;
    for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
      const std::string name(it->name.GetString(), it->name.GetStringLength());
      const std::string where = fhir::path_member(path, name);
      if (name == "iss" || name == "jwks_file") {
        if (!it->value.IsString()) return bad(where, "expected a string");
        (name == "iss" ? e.iss : e.jwks_file).assign(it->value.GetString(), it->value.GetStringLength());
      } else if (name == "jku" || name == "tenants") {
        if (auto p = string_list(it->value, where, name == "jku" ? e.jku : e.tenants)) return *p;
      } else {
        return bad(where, "unknown member (expected iss, jwks_file, jku, tenants)");
      }
    }
    if (e.iss.empty()) return bad(fhir::path_member(path, "iss"), "required");
    if (e.jwks_file.empty() && e.jku.empty()) return bad(path, "needs a jwks_file or a jku allowlist");
    for (std::size_t j = 0; j < e.jku.size(); ++j) {
      if (!is_acceptable_jku(e.jku[j])) {
        return bad(fhir::path_index(fhir::path_member(path, "jku"), j), "expected https:// (or http:// to loopback)");
      }
    }
    if (std::any_of(out.begin(), out.end(), [&](const IssuerEntry& o) { return o.iss == e.iss; })) {
      return bad(fhir::path_member(path, "iss"), "duplicate issuer " + e.iss);
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace nmo::config
