#include "tests/fuzz/fuzz_support.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace nmo::fuzz {

std::shared_ptr<const cards::KnowledgeBase> knowledge() {
  static const std::shared_ptr<const cards::KnowledgeBase> kb = [] {
    namespace fs = std::filesystem;
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(fs::path(NMO_SOURCE_DIR) / "config" / "knowledge")) {
      if (e.path().extension() == ".json") paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    std::vector<cards::KnowledgeFile> files;
    for (const auto& p : paths) {
      std::ifstream in(p, std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      files.push_back({p.filename().string(), ss.str()});
    }
    auto loaded = cards::load_knowledge(files);
    if (!loaded) {
      std::fprintf(stderr, "knowledge does not load: %s\n", loaded.problem().message.c_str());
      std::abort();
    }
    return *loaded;
  }();
  return kb;
}

}  // namespace nmo::fuzz
