#pragma once
// Governance pages (issue 13 §5): self-contained HTML5, styles inline, plots as SVG drawn here; no script, no
// font, no image or stylesheet from elsewhere. Text from the store or the knowledge is escaped.

#include <cstdint>
#include <string>
#include <vector>

#include "cards/knowledge_base.hpp"
#include "service/feedback/feedback_store.hpp"
#include "service/feedback/quiet_store.hpp"

namespace nmo::service::feedback {

/// Per rule, over the weeks up to `now` (at most 26, from the first week with data): cards issued and quieted
/// (from `tallies`), feedback accepted and overridden by reason (from `records`, by outcomeTimestamp), as one SVG
/// plot each, and the totals in a table.
std::string feedback_report_html(const std::vector<FeedbackRecord>& records, const std::vector<WeekTally>& tallies,
                                 const cards::KnowledgeBase& kb, std::int64_t now);

/// The rules (hooks, indicators, override reasons and their quiet days), every code with its verification state
/// and source, thresholds awaiting sign-off, and open items.
std::string knowledge_report_html(const cards::KnowledgeBase& kb);

/// Text safe inside HTML elements and attribute values.
std::string html_escape(const std::string& text);

}  // namespace nmo::service::feedback
