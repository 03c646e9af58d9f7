# The token layer (pkcs11/) and the pkcs11: source built on it.
libcertseal_core_la_SOURCES += \
	pkcs11/p11.h \
	pkcs11/p11-int.h \
	pkcs11/p11-error.c \
	pkcs11/p11-kit-dl.h \
	pkcs11/p11-kit-dl.c \
	pkcs11/p11-uri.c \
	pkcs11/p11-module.c \
	pkcs11/p11-session.c \
	pkcs11/p11-pin.c \
	pkcs11/p11-caps.c \
	pkcs11/p11-check.c \
	pkcs11/p11-find.c \
	pkcs11/p11-index.c \
	pkcs11/p11-keyops.c \
	pkcs11/p11-keygen.c \
	pkcs11/p11-cert.c \
	pkcs11/p11-export.c \
	pkcs11/p11-list.c \
	src/lib/source-pkcs11.c
