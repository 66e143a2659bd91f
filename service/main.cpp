#include "service/cli.hpp"

int main(int argc, char** argv) { return nmo::service::run_cli(argc, argv); }
