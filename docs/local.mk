# Man pages (issue 7), installed into the sections Debian expects.
dist_man1_MANS = docs/man/certseal.1
dist_man5_MANS = docs/man/certseal-format.5
dist_man7_MANS = docs/man/certseal-sources.7
dist_man8_MANS = docs/man/certseal-admin.8

# libcertseal(3), the installed API (issue 17); every function of
# certseal.h gets a name in section 3 that leads to it (`man
# certseal_open_file`), as a .so link.  tests/integration/test-man3.sh
# checks this list against the header.
dist_man3_MANS = docs/man/libcertseal.3
LIBCERTSEAL_MAN3_LINKS = \
	certseal_ctx_new certseal_ctx_free certseal_ctx_add_source \
	certseal_ctx_set_flags certseal_ctx_get_flags certseal_ctx_set_prompt \
	certseal_ctx_set_log certseal_ctx_set_state_dir certseal_ctx_last_error \
	certseal_open_file certseal_open_mem \
	certseal_config_data certseal_config_is_sealed \
	certseal_config_is_signed certseal_config_name \
	certseal_config_sequence certseal_config_signer \
	certseal_config_source certseal_config_key_id certseal_config_free \
	certseal_strerror certseal_exit_code certseal_version
install-data-local: install-man3-links
uninstall-local: uninstall-man3-links
install-man3-links:
	$(MKDIR_P) '$(DESTDIR)$(man3dir)'
	for f in $(LIBCERTSEAL_MAN3_LINKS); do \
	    echo '.so man3/libcertseal.3' >'$(DESTDIR)$(man3dir)/'$$f.3 || exit 1; \
	done
uninstall-man3-links:
	for f in $(LIBCERTSEAL_MAN3_LINKS); do \
	    rm -f '$(DESTDIR)$(man3dir)/'$$f.3; \
	done
.PHONY: install-man3-links uninstall-man3-links

# Bash completion, where bash-completion loads it on demand: one file per
# command, named after the command.
bashcompletiondir = $(datadir)/bash-completion/completions
install-data-local: install-bash-completion
uninstall-local: uninstall-bash-completion
install-bash-completion:
	$(MKDIR_P) '$(DESTDIR)$(bashcompletiondir)'
	$(INSTALL_DATA) $(srcdir)/contrib/completion/certseal.bash \
	    '$(DESTDIR)$(bashcompletiondir)/certseal'
	$(INSTALL_DATA) $(srcdir)/contrib/completion/certseal-admin.bash \
	    '$(DESTDIR)$(bashcompletiondir)/certseal-admin'
uninstall-bash-completion:
	rm -f '$(DESTDIR)$(bashcompletiondir)/certseal' \
	    '$(DESTDIR)$(bashcompletiondir)/certseal-admin'
.PHONY: install-bash-completion uninstall-bash-completion

# Examples and notes shipped in the tarball.
EXTRA_DIST += \
	contrib/completion/certseal.bash \
	contrib/completion/certseal-admin.bash \
	contrib/systemd/README.md \
	contrib/systemd/app-with-certseal.service \
	contrib/systemd/certseal-exec \
	contrib/systemd/app-config.path \
	contrib/systemd/app-config-reload.service \
	contrib/systemd/app-reload.conf \
	contrib/ansible/README.md \
	contrib/ansible/playbook.yml \
	contrib/ansible/roles/certseal_client/defaults/main.yml \
	contrib/ansible/roles/certseal_client/tasks/main.yml \
	contrib/ansible/roles/certseal_client/tasks/report.yml \
	contrib/p11-kit-server.md

# The README's first two commands; no other fragment ships them.
EXTRA_DIST += contrib/demo contrib/run-tests
