#pragma once
// Loading FHIR fixtures from tests/fixtures/fhir (NMO_FIXTURES_DIR) for the nmo_fhir unit tests.

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <rapidjson/document.h>

#include "fhir/json.hpp"
#include "fhir/patient_record.hpp"
#include "fhir/record_reader.hpp"

namespace nmo::fhir::test {

inline std::string fixture_text(const std::string& name) {
  const std::string path = std::string(NMO_FIXTURES_DIR) + "/fhir/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline rapidjson::Document fixture_json(const std::string& name) {
  auto parsed = parse_json(fixture_text(name));
  if (!parsed) throw std::runtime_error("fixture " + name + " does not parse: " + parsed.problem().message);
  return std::move(*parsed);
}

/// Reads a fixture as the prefetch key `key`; throws on a Problem (tests of malformed data call read_resources).
inline PatientRecord record_from(const std::string& name, const std::string& key = "prefetch.data") {
  const rapidjson::Document doc = fixture_json(name);
  PatientRecord record;
  if (auto problem = read_resources(doc, key, record)) {
    throw std::runtime_error("fixture " + name + ": " + problem->path + ": " + problem->message);
  }
  return record;
}

inline bool has_coding(const Concept& c, const std::string& system, const std::string& code) {
  for (const Coding& coding : c.codings) {
    if (coding.system == system && coding.code == code) return true;
  }
  return false;
}

template <class T>
const T& by_id(const std::vector<T>& items, const std::string& id) {
  for (const T& item : items) {
    if (item.id == id) return item;
  }
  throw std::runtime_error("no item with id " + id);
}

}  // namespace nmo::fhir::test
