#pragma once
// Deterministic synthetic charts for the engine benchmarks: a CDS Hooks request whose prefetch holds N FHIR R4
// resources. The first four tell the same story every time (AQP4-IgG+ NMOSD on azathioprine, so the engine
// answers with a card); the rest are everyday chart filler (labs, other conditions and medications, vaccines,
// procedures) in a fixed mix chosen by index. No randomness: the same N gives the same bytes.

#include <cstddef>
#include <string>

namespace nmo::bench {

enum class ChartHook { patient_view, order_select };

/// A whole hook request as JSON. `resources` >= 4 (the story); order_select adds one draft azathioprine order
/// in context.draftOrders (not counted in `resources`).
std::string make_chart_request(std::size_t resources, ChartHook hook = ChartHook::patient_view);

}  // namespace nmo::bench
