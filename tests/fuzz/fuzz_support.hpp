#pragma once
// Shared by the libFuzzer targets: the bundled knowledge base, loaded once.

#include <memory>

#include "cards/knowledge_base.hpp"

namespace nmo::fuzz {

/// The knowledge in config/knowledge (NMO_SOURCE_DIR), loaded once; aborts when it does not load.
std::shared_ptr<const cards::KnowledgeBase> knowledge();

}  // namespace nmo::fuzz
