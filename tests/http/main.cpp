// The HTTP test suite: the real nmo-cds binary on 127.0.0.1 with an ephemeral port, for the transport built.
// Run as: test_http [Boost.Test options] -- --server PATH/TO/nmo-cds
#define BOOST_TEST_MODULE nmo_http
#include <boost/test/unit_test.hpp>
