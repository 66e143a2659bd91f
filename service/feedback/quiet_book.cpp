#include "service/feedback/quiet_book.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "cards/knowledge_model.hpp"
#include "fhir/time.hpp"
#include "service/ops/keyed_mac.hpp"
#include "service/ops/log.hpp"
#include "service/ops/metrics.hpp"

namespace nmo::service::feedback {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kPruneEvery = 3600;
// Overrides not read again for this many refresh intervals are not used (fail open): a hung store or thread.
constexpr std::int64_t kStaleIntervals = 3;
// Overrides are read this long past the longest quiet period, so a returning card can still say it was overridden.
constexpr std::int64_t kMarginDays = 30;

std::optional<cards::Hook> hook_of(std::string_view name) {
  if (name == "patient-view") return cards::Hook::patient_view;
  if (name == "order-select") return cards::Hook::order_select;
  if (name == "order-sign") return cards::Hook::order_sign;
  return std::nullopt;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The earlier of the client's outcomeTimestamp and the time the store received it: a client clock ahead of ours
// never lengthens a quiet period.
std::optional<std::int64_t> overridden_at(const OverrideRow& row) {
  const auto told = fhir::parse_fhir_time(row.outcome_timestamp);
  const auto received = fhir::parse_fhir_time(row.received_at);
  if (told && received) return std::min(*told, *received);
  return told ? told : received;
}

}  // namespace

QuietBook::QuietBook(std::shared_ptr<QuietStore> store, std::shared_ptr<const cards::KnowledgeBase> knowledge,
                     QuietSettings settings)
    : store_(std::move(store)), knowledge_(std::move(knowledge)), settings_(std::move(settings)),
      index_(std::make_shared<const Index>()) {
  static std::atomic<std::uint64_t> books{0};
  id_ = ++books;
  int longest = 0;
  for (const auto& reason : knowledge_->override_reasons()) longest = std::max(longest, knowledge_->quiet_days(reason.code));
  window_days_ = longest + kMarginDays;
  if (settings_.key.empty()) {  // no configured secret: pseudonyms of this process only
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("no randomness for the quiet key");
    settings_.key.assign(reinterpret_cast<const char*>(random), sizeof random);
  }
}

QuietBook::~QuietBook() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<IssuedCard> rest;
  std::vector<WeekTally> tallies;
  {
    std::lock_guard lock(mutex_);
    rest.swap(pending_);
    for (const auto& [key, t] : pending_tallies_) tallies.push_back(t);
  }
  if (rest.empty() && tallies.empty()) return;
  try {
    store_->record(rest, tallies);
  } catch (const std::exception& e) {
    ops::log::write(ops::log::Level::warn, "quiet_store_failed", {{"op", "record"}, {"detail", e.what()}});
  }
}

void QuietBook::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void QuietBook::poke() {
  {
    std::lock_guard lock(mutex_);
    poked_ = true;
  }
  wake_.notify_all();
}

void QuietBook::run() {
  auto next_sync = std::chrono::steady_clock::now() + settings_.refresh;
  bool batches = true;  // false after a failed batch write, until the next sync: a store that is down is not hammered
  for (;;) {
    bool reload = true;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, next_sync, [&] { return stop_ || poked_ || (batches && write_due_); });
      if (stop_) return;
      reload = poked_ || std::chrono::steady_clock::now() >= next_sync;
      poked_ = write_due_ = false;
    }
    try {
      if (!reload) {  // a full batch: written now, the overrides read at the refresh as before
        std::lock_guard one_at_a_time(sync_mutex_);
        batches = write_pending();
        continue;
      }
      batches = true;
      next_sync = std::chrono::steady_clock::now() + settings_.refresh;
      sync(now_seconds());
    } catch (const std::exception& e) {  // sync catches the store's failures; this is the last line of defence
      {
        std::lock_guard lock(mutex_);
        available_ = false;
      }
      ops::metrics::set_quiet_store_up(false);
      ops::metrics::record_quiet_store_error("sync");
      ops::log::write(ops::log::Level::error, "quiet_store_failed", {{"op", "sync"}, {"detail", e.what()}});
    }
  }
}

std::optional<std::string> pseudonym_of_mac(const unsigned char* mac, unsigned int length) {
  if (mac == nullptr || length != 32) {
    ops::metrics::record_quiet_pseudonym_error();
    return std::nullopt;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "q-";
  for (unsigned int i = 0; i < 16; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0x0F];
  }
  return out;
}

std::optional<std::string> QuietBook::pseudonym(std::string_view caller, std::string_view fhir_server,
                                                std::string_view patient_id) const {
  if (caller.empty() || fhir_server.empty() || patient_id.empty()) return std::nullopt;
  std::string message;
  for (std::string_view field : {caller, fhir_server, patient_id}) {
    message += std::to_string(field.size()) + ":";
    message += field;
  }
  // The book's key set up once per thread (issue 14), again when the thread meets another book.
  thread_local ops::KeyedMac mac_context;
  thread_local std::uint64_t keyed_for = 0;
  if (keyed_for != id_) keyed_for = mac_context.set_key(settings_.key) ? id_ : 0;
  unsigned char mac[32];
  const bool ok = keyed_for == id_ && mac_context.compute(message, mac);
  return pseudonym_of_mac(ok ? mac : nullptr, ok ? 32 : 0);
}

std::optional<std::vector<cards::QuietEntry>> QuietBook::entries(const std::string& pseudonym,
                                                                 std::int64_t now) const {
  const auto refresh = std::chrono::duration_cast<std::chrono::seconds>(settings_.refresh).count();
  const std::int64_t stale_after = std::max<std::int64_t>(1, kStaleIntervals * refresh);
  std::shared_ptr<const Index> index;
  {
    std::lock_guard lock(mutex_);
    if (!available_ || now - last_read_ > stale_after) return std::nullopt;
    index = index_;
  }
  const auto it = index->find(pseudonym);
  if (it == index->end()) return std::vector<cards::QuietEntry>{};
  return it->second;
}

void QuietBook::issued(std::vector<IssuedCard> cards, const std::vector<std::string>& quieted_rules,
                       std::int64_t now) {
  if (cards.empty() && quieted_rules.empty()) return;
  const std::int64_t week = week_of(now);
  std::lock_guard lock(mutex_);
  for (const auto& c : cards) {
    WeekTally& t = pending_tallies_[{c.rule, week}];
    t.rule = c.rule;
    t.week = week;
    ++t.issued;
  }
  for (const auto& rule : quieted_rules) {
    WeekTally& t = pending_tallies_[{rule, week}];
    t.rule = rule;
    t.week = week;
    ++t.quieted;
  }
  for (auto& c : cards) {
    if (pending_.size() >= settings_.max_pending) {
      ++dropped_;
      continue;
    }
    pending_.push_back(std::move(c));
  }
  if (pending_.size() >= settings_.write_batch && !write_due_) {
    write_due_ = true;
    wake_.notify_all();
  }
}

bool QuietBook::write_pending() {
  bool ok = true;
  std::vector<IssuedCard> batch;
  std::map<std::pair<std::string, std::int64_t>, WeekTally> tally_map;
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    batch.swap(pending_);
    tally_map.swap(pending_tallies_);
    std::swap(dropped, dropped_);
  }
  std::vector<WeekTally> tallies;
  for (const auto& [key, t] : tally_map) tallies.push_back(t);
  if (dropped > 0) {
    ops::metrics::record_quiet_store_error("record");
    ops::log::write(ops::log::Level::warn, "quiet_cards_dropped",
                    {{"count", static_cast<std::int64_t>(dropped)},
                     {"message", "issued cards not recorded: the queue was full; their feedback will not quiet"}});
  }
  if (!batch.empty() || !tallies.empty()) {
    try {
      store_->record(batch, tallies);
    } catch (const std::exception& e) {  // FeedbackStoreError, or a bug: never the end of the service
      ok = false;
      ops::metrics::record_quiet_store_error("record");
      ops::log::write(ops::log::Level::warn, "quiet_store_failed", {{"op", "record"}, {"detail", e.what()}});
      std::lock_guard lock(mutex_);  // kept for the next sync, as far as the queue has room
      const std::size_t room = settings_.max_pending > pending_.size() ? settings_.max_pending - pending_.size() : 0;
      if (batch.size() > room) batch.resize(room);
      pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
      for (const auto& t : tallies) {
        WeekTally& kept = pending_tallies_[{t.rule, t.week}];
        kept.rule = t.rule;
        kept.week = t.week;
        kept.issued += t.issued;
        kept.quieted += t.quieted;
      }
    }
  }
  return ok;
}

bool QuietBook::sync(std::int64_t now) {
  std::lock_guard one_at_a_time(sync_mutex_);
  bool ok = write_pending();

  try {
    auto index = std::make_shared<Index>();
    for (const OverrideRow& row : store_->overrides(now - window_days_ * kDay)) {
      const auto hook = hook_of(row.hook);
      const auto when = overridden_at(row);
      if (!hook || !when) continue;
      if (row.reason_system != knowledge_->override_system()) continue;  // a code of another CodeSystem quiets nothing
      (*index)[row.patient].push_back(
          cards::QuietEntry{row.rule, row.digest, *hook, *when, row.reason_code, row.reason_display});
    }
    std::lock_guard lock(mutex_);
    index_ = std::move(index);
    available_ = true;
    last_read_ = now;
    ops::metrics::set_quiet_store_up(true);
  } catch (const std::exception& e) {
    ok = false;
    {
      std::lock_guard lock(mutex_);
      available_ = false;
    }
    ops::metrics::set_quiet_store_up(false);
    ops::metrics::record_quiet_store_error("reload");
    ops::log::write(ops::log::Level::warn, "quiet_store_failed",
                    {{"op", "reload"}, {"detail", e.what()}, {"message", "cards are shown until the store answers"}});
  }

  if (ok && now - last_prune_ >= kPruneEvery) {
    try {
      store_->prune(now - settings_.unanswered_days * kDay, now - window_days_ * kDay);
      last_prune_ = now;
    } catch (const std::exception& e) {
      ops::metrics::record_quiet_store_error("prune");
      ops::log::write(ops::log::Level::warn, "quiet_store_failed", {{"op", "prune"}, {"detail", e.what()}});
    }
  }
  return ok;
}

}  // namespace nmo::service::feedback
