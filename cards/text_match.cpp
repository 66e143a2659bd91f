#include "cards/text_match.hpp"

namespace nmo::cards::detail {
namespace {

bool is_word_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u >= 0x80;
}

}  // namespace

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool contains_word(std::string_view haystack_lower, std::string_view needle_lower) {
  if (needle_lower.empty()) return false;
  std::size_t pos = haystack_lower.find(needle_lower);
  while (pos != std::string_view::npos) {
    const std::size_t end = pos + needle_lower.size();
    const bool left_ok = pos == 0 || !is_word_char(haystack_lower[pos - 1]) || !is_word_char(needle_lower.front());
    const bool right_ok =
        end == haystack_lower.size() || !is_word_char(haystack_lower[end]) || !is_word_char(needle_lower.back());
    if (left_ok && right_ok) return true;
    pos = haystack_lower.find(needle_lower, pos + 1);
  }
  return false;
}

bool contains_any_word(std::string_view haystack_lower, const std::vector<std::string>& needles) {
  for (const auto& needle : needles) {
    if (contains_word(haystack_lower, needle)) return true;
  }
  return false;
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace nmo::cards::detail
