#pragma once
// The clinical knowledge (config/knowledge/*.json) loaded, validated and indexed once at start-up.

#include <memory>
#include <string>
#include <vector>

#include "fhir/problem.hpp"

namespace nmo::cards {

/// One knowledge file's name (e.g. "valuesets.json") and text; service/ reads the files, cards/ parses them.
struct KnowledgeFile {
  std::string name;
  std::string text;
};

class KnowledgeBase;  // defined in cards/knowledge_model.hpp (owned by the engine)

/// Parses and validates the files. A Problem's path is "FILE:JSON.path" for the element at fault (unknown code
/// system URI, a code in two conflicting classes, a missing card text or citation, ...).
fhir::Result<std::shared_ptr<const KnowledgeBase>> load_knowledge(const std::vector<KnowledgeFile>& files);

/// "version (review date)" of the loaded knowledge, for logs, discovery and the report.
std::string knowledge_version(const KnowledgeBase& kb);

/// Markdown for clinician review: every rule, every code with its verification flag, thresholds, open items.
std::string knowledge_report(const KnowledgeBase& kb);

}  // namespace nmo::cards
