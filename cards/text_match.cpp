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

WordIndex::WordIndex(const std::vector<std::string>& needles_lower) : needles_(needles_lower) {
  for (std::size_t i = 0; i < needles_.size(); ++i) {
    const std::string& n = needles_[i];
    if (n.empty()) continue;  // contains_word finds no empty needle
    if (!is_word_char(n.front())) {
      anywhere_.push_back(static_cast<std::uint32_t>(i));
      continue;
    }
    std::size_t end = 0;
    while (end < n.size() && is_word_char(n[end])) ++end;
    by_first_word_[n.substr(0, end)].push_back(static_cast<std::uint32_t>(i));
  }
}

// A needle that starts with a letter or digit can only match where a word of the text starts, and that word is
// then the needle's first word: after it the needle either ends (and contains_word wants no letter or digit next)
// or goes on with a character that is none, which the text must have there too.
bool WordIndex::find(std::string_view text, const std::function<bool(std::size_t)>& found) const {
  for (std::uint32_t i : anywhere_)
    if (contains_word(text, needles_[i]) && found(i)) return true;
  if (by_first_word_.empty()) return false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && !is_word_char(text[pos])) ++pos;
    std::size_t end = pos;
    while (end < text.size() && is_word_char(text[end])) ++end;
    if (end == pos) break;
    if (auto it = by_first_word_.find(text.substr(pos, end - pos)); it != by_first_word_.end()) {
      for (std::uint32_t i : it->second) {
        const std::string& n = needles_[i];
        const std::size_t n_end = pos + n.size();
        if (text.compare(pos, n.size(), n) != 0) continue;
        if (n_end != text.size() && is_word_char(text[n_end]) && is_word_char(n.back())) continue;
        if (found(i)) return true;
      }
    }
    pos = end;
  }
  return false;
}

bool WordIndex::contains_any(std::string_view haystack_lower) const {
  return find(haystack_lower, [](std::size_t) { return true; });
}

bool contains_any_word(std::string_view haystack_lower, const std::vector<std::string>& needles) {
  for (const auto& needle : needles) {
    if (contains_word(haystack_lower, needle)) return true;
  }
  return false;
}

namespace {

// The last `n` words of `text`, with any punctuation before the first of them ("?nmosd" → "?").
std::string_view last_words(std::string_view text, int n) {
  std::size_t i = text.size();
  for (int words = 0; i > 0 && words < n; ++words) {
    while (i > 0 && !is_word_char(text[i - 1])) --i;
    while (i > 0 && is_word_char(text[i - 1])) --i;
  }
  if (i > 0 && n > 0) {
    while (i > 0 && !is_word_char(text[i - 1])) --i;  // keep the punctuation that leads the window
  }
  return text.substr(i);
}

// The first `n` words of `text`, with the punctuation between them.
std::string_view first_words(std::string_view text, int n) {
  std::size_t i = 0;
  for (int words = 0; i < text.size() && words < n; ++words) {
    while (i < text.size() && !is_word_char(text[i])) ++i;
    while (i < text.size() && is_word_char(text[i])) ++i;
  }
  while (i < text.size() && !is_word_char(text[i])) ++i;  // trailing punctuation ("nmosd ?")
  return text.substr(0, i);
}

std::size_t after_last_of(std::string_view text, std::size_t end, std::string_view stops) {
  const std::size_t p = text.substr(0, end).find_last_of(stops);
  return p == std::string_view::npos ? 0 : p + 1;
}

std::size_t first_of(std::string_view text, std::size_t from, std::string_view stops) {
  const std::size_t p = text.find_first_of(stops, from);
  return p == std::string_view::npos ? text.size() : p;
}

bool word_in(std::string_view window, const std::vector<std::string>& needles) {
  return contains_any_word(window, needles);
}

}  // namespace

bool asserted_term(std::string_view text, const std::vector<std::string>& terms,
                   const std::vector<std::string>& before, const std::vector<std::string>& after,
                   const std::vector<std::string>& hedges) {
  for (const auto& term : terms) {
    if (term.empty()) continue;
    for (std::size_t pos = text.find(term); pos != std::string_view::npos; pos = text.find(term, pos + 1)) {
      const std::size_t end = pos + term.size();
      const bool left_ok = pos == 0 || !is_word_char(text[pos - 1]) || !is_word_char(term.front());
      const bool right_ok = end == text.size() || !is_word_char(text[end]) || !is_word_char(term.back());
      if (!left_ok || !right_ok) continue;
      const std::size_t clause = after_last_of(text, pos, ",;.|\n");
      const std::size_t clause_end = first_of(text, end, ",;.|\n");
      const std::size_t statement = after_last_of(text, pos, ";|\n");
      const std::size_t statement_end = first_of(text, end, ";|\n");
      const std::string_view tail = text.substr(end, statement_end - end);
      if (word_in(last_words(text.substr(clause, pos - clause), 3), before)) continue;
      if (word_in(first_words(tail, 3), after)) continue;
      // A hedge before the term ("possible NMOSD", "MS vs. NMOSD"), or right after it in its clause ("NMOSD
      // suspected", "NMOSD vs MS"), not one about something else ("NMOSD, possible relapse").
      if (word_in(last_words(text.substr(statement, pos - statement), 4), hedges) ||
          word_in(first_words(text.substr(end, clause_end - end), 1), hedges))
        continue;
      return true;
    }
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
