# Integration scripts: the CLIs end to end with real keys, real SoftHSM2
# tokens (each script its own SOFTHSM2_CONF) and independent tools.
EXTRA_DIST += tests/integration/lib.sh
INTEGRATION_TESTS = \
	tests/integration/test-open-file.sh
dist_noinst_SCRIPTS += $(INTEGRATION_TESTS)
INTEGRATION_TESTS += tests/integration/test-bad-input.sh
check_PROGRAMS += mutate-open
mutate_open_SOURCES = tests/integration/mutate-open.c
INTEGRATION_TESTS += tests/integration/test-rollout.sh
check_PROGRAMS += rollout-eval
rollout_eval_SOURCES = tests/integration/rollout-eval.c
rollout_eval_LDADD = libcertseal-core.la $(CS_LIBS)
INTEGRATION_TESTS += tests/integration/test-admin-workflow.sh

TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
TESTS += $(INTEGRATION_TESTS)
# libcertseal installed and used by contrib/examples/open-config.c
INTEGRATION_TESTS += tests/integration/test-library.sh
EXTRA_DIST += contrib/examples/open-config.c contrib/examples/README.md
# the client side on the command line: store, sources, chains, strict mode
INTEGRATION_TESTS += tests/integration/test-client.sh
INTEGRATION_TESTS += tests/integration/test-pkcs11-source.sh
# Reliability (issue 6): faults, kills and full disks; concurrent use;
# secret hygiene.
INTEGRATION_TESTS += tests/integration/test-faults.sh \
	tests/integration/test-concurrency.sh
EXTRA_DIST += tests/fault/failwrite.c
INTEGRATION_TESTS += tests/integration/test-hygiene.sh
# Interop with Bouncy Castle, Python (cryptography + asn1crypto) and
# openssl cms in both directions (issue 12), and bounded CMS counts
# (issue 19).
INTEGRATION_TESTS += tests/integration/test-interop.sh
EXTRA_DIST += tests/interop/BcInterop.java tests/interop/cms_py.py
# damaged and truncated sealed files are never plaintext (issue 11)
INTEGRATION_TESTS += tests/integration/test-looks-sealed.sh
