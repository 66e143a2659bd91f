// The metrics registry: series by label set, cumulative histograms, exact counts under concurrent recording.
#include "service/ops/metrics.hpp"

#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

namespace ops = nmo::service::ops;

namespace {

// The value of the sample line that starts with `series` ("name{labels}"), or -1.
double sample(const std::string& text, const std::string& series) {
  const auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + series.size() + 2));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_registry)

BOOST_AUTO_TEST_CASE(counters_are_exact_under_concurrent_recording) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 1000; ++i) {
        ops::metrics::record_card("TEST-" + std::to_string(i % 4), "warning");
        ops::metrics::record_auth_failure("test_reason");
      }
    });
  }
  for (auto& t : threads) t.join();
  const std::string text = ops::metrics::render();
  for (int r = 0; r < 4; ++r) {
    BOOST_TEST(sample(text, "nmo_cards_total{rule=\"TEST-" + std::to_string(r) + "\",indicator=\"warning\"}") == 2000);
  }
  BOOST_TEST(sample(text, "nmo_auth_failures_total{reason=\"test_reason\"}") == 8000);
}

BOOST_AUTO_TEST_CASE(histograms_are_cumulative_with_sum_and_count) {
  ops::metrics::record_fetch("test_outcome", 0.003);
  ops::metrics::record_fetch("test_outcome", 0.2);
  ops::metrics::record_fetch("test_outcome", 60);
  const std::string text = ops::metrics::render();
  const std::string b = "nmo_fhir_fetch_duration_seconds_bucket{outcome=\"test_outcome\",le=";
  BOOST_TEST(sample(text, b + "\"0.0025\"}") == 0);
  BOOST_TEST(sample(text, b + "\"0.005\"}") == 1);
  BOOST_TEST(sample(text, b + "\"0.25\"}") == 2);
  BOOST_TEST(sample(text, b + "\"10\"}") == 2);
  BOOST_TEST(sample(text, b + "\"+Inf\"}") == 3);
  BOOST_TEST(sample(text, "nmo_fhir_fetch_duration_seconds_count{outcome=\"test_outcome\"}") == 3);
  BOOST_TEST(sample(text, "nmo_fhir_fetch_duration_seconds_sum{outcome=\"test_outcome\"}") ==
             60.203, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped_and_truncated) {
  ops::metrics::record_feedback("a\"b\\c\nd", "accepted");
  ops::metrics::record_feedback(std::string(200, 'x'), "overridden");
  const std::string text = ops::metrics::render();
  BOOST_TEST(text.find(R"(nmo_feedback_total{rule="a\"b\\c\nd",outcome="accepted"} 1)") != std::string::npos);
  BOOST_TEST(text.find("rule=\"" + std::string(64, 'x') + "\",outcome=\"overridden\"} 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_full_family_counts_what_it_drops) {
  const std::string before = ops::metrics::render();
  const double dropped_before = sample(before, "nmo_metrics_dropped_total");
  for (int i = 0; i < 40; ++i) ops::metrics::record_auth_failure("overflow-" + std::to_string(i));  // 32 series at most
  const double dropped_after = sample(ops::metrics::render(), "nmo_metrics_dropped_total");
  BOOST_TEST(dropped_after > dropped_before);
}

BOOST_AUTO_TEST_SUITE_END()
