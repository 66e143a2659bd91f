#pragma once
// The nmo-cds command line: serve, check-config, evaluate, knowledge-report, --help.

namespace nmo::service {

/// Returns the process exit status: 0 success, 1 failure, 2 usage error.
int run_cli(int argc, char** argv);

}  // namespace nmo::service
