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
# issue 19.2 / 11: hard-linked, oversized and misnamed reports, with time
# and memory bounds
INTEGRATION_TESTS += tests/integration/test-hostile-reports.sh
# issue 19.1 / 19.4: a second local user races root-run certseal
INTEGRATION_TESTS += tests/integration/test-second-user.sh
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
EXTRA_DIST += tests/fault/failwrite.c tests/fault/killtrunc.c
INTEGRATION_TESTS += tests/integration/test-hygiene.sh
# Issue 11 (client side): signer trust by public key, special files.
INTEGRATION_TESTS += tests/integration/test-client-trust.sh
INTEGRATION_TESTS += tests/integration/test-client-state.sh
# Issue 11: the admin signs only what it wrote; the embedded token
# survives kills and an exported SOFTHSM2_CONF; issue 19: edit's private
# directory.
INTEGRATION_TESTS += tests/integration/test-admin-trust.sh \
	tests/integration/test-admin-token.sh \
	tests/integration/test-token-kills.sh
# Tokens that are not SoftHSM (issue 13): a software TPM 2.0 (swtpm +
# tpm2-abrmd + tpm2-pkcs11) and NSS softokn, started by the scripts.
EXTRA_DIST += tests/integration/tpm-lib.sh tests/integration/spy-lib.sh
INTEGRATION_TESTS += tests/integration/test-tpm-token.sh \
	tests/integration/test-nss-token.sh
# CKA_ALWAYS_AUTHENTICATE keys: a context-specific login per operation.
INTEGRATION_TESTS += tests/integration/test-context-login.sh
check_PROGRAMS += p11-sign
p11_sign_SOURCES = tests/integration/p11-sign.c
p11_sign_LDADD = libcertseal-core.la $(CS_LIBS)
# The Debian packages (issue 17): built, linted, installed, used, purged.
# Installs onto the machine, so only as root in CI or with
# CERTSEAL_TEST_DEB=1; skips otherwise.
INTEGRATION_TESTS += tests/integration/test-deb.sh
# contrib/systemd: systemd-analyze verify on every unit, and the commands
# of the reload path on real sealed files.
INTEGRATION_TESTS += tests/integration/test-systemd-units.sh
# libcertseal(3) against certseal.h; every page renders without a warning.
INTEGRATION_TESTS += tests/integration/test-man3.sh
# enrolled clients (issue 14)
INTEGRATION_TESTS += tests/integration/test-enroll.sh
# The armour of the sealed file: save/edit/seal --der and --pem, kept by
# rewrites, read by every reader (large fleets, issue 14).
INTEGRATION_TESTS += tests/integration/test-der-output.sh
EXTRA_DIST += tests/integration/forge-request.py
INTEGRATION_TESTS += tests/integration/test-client-p12.sh
INTEGRATION_TESTS += tests/integration/test-client-messages.sh
# The layering of the tree (issue 13): base <- token layer <- library.
INTEGRATION_TESTS += tests/integration/test-layering.sh
# p11-kit loaded only by pkcs11: sources (issue 16).
INTEGRATION_TESTS += tests/integration/test-lazy-libraries.sh
# Interop with Bouncy Castle, Python (cryptography + asn1crypto) and
# openssl cms in both directions (issue 12), and bounded CMS counts
# (issue 19).
INTEGRATION_TESTS += tests/integration/test-interop.sh
EXTRA_DIST += tests/interop/BcInterop.java tests/interop/cms_py.py
# damaged and truncated sealed files are never plaintext (issue 11)
INTEGRATION_TESTS += tests/integration/test-looks-sealed.sh
INTEGRATION_TESTS += tests/integration/test-many-recipients.sh
# Issue 15: one command line (-o -, confirmations, -q/-v, global options
# anywhere, JSON documents, --help of every command)
INTEGRATION_TESTS += tests/integration/test-cli.sh
