# The token layer (pkcs11/) and the pkcs11: source built on it.
libcertseal_core_la_SOURCES += \
	src/lib/source-pkcs11.c
