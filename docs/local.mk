# Man pages (issue 7), installed into the sections Debian expects.
dist_man1_MANS = docs/man/certseal.1
dist_man5_MANS = docs/man/certseal-format.5
dist_man7_MANS = docs/man/certseal-sources.7
dist_man8_MANS = docs/man/certseal-admin.8

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
	contrib/ansible/README.md \
	contrib/ansible/playbook.yml \
	contrib/ansible/roles/certseal_client/defaults/main.yml \
	contrib/ansible/roles/certseal_client/tasks/main.yml \
	contrib/ansible/roles/certseal_client/tasks/report.yml \
	contrib/p11-kit-server.md

# The README's first two commands; no other fragment ships them.
EXTRA_DIST += contrib/demo contrib/run-tests
