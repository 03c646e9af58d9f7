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
# Tokens that are not SoftHSM (issue 13): a software TPM 2.0 (swtpm +
# tpm2-abrmd + tpm2-pkcs11) and NSS softokn, started by the scripts.
EXTRA_DIST += tests/integration/tpm-lib.sh
INTEGRATION_TESTS += tests/integration/test-tpm-token.sh \
	tests/integration/test-nss-token.sh
# CKA_ALWAYS_AUTHENTICATE keys: a context-specific login per operation.
INTEGRATION_TESTS += tests/integration/test-context-login.sh
check_PROGRAMS += p11-sign
p11_sign_SOURCES = tests/integration/p11-sign.c
p11_sign_LDADD = libcertseal-core.la $(CS_LIBS)
# The layering of the tree (issue 13): base <- token layer <- library.
INTEGRATION_TESTS += tests/integration/test-layering.sh
