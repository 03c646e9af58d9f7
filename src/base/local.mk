# The base (src/base/base.h): below the library and the token layer.
# In the same convenience library: the layering is in the includes.
libcertseal_core_la_SOURCES += \
	src/base/base.h \
	src/base/error.c \
	src/base/secret.c \
	src/base/pin.c \
	src/base/recipient-id.c \
	src/base/input-file.c \
	src/base/file-uri.h \
	src/base/file-uri.c \
	src/base/hex.h \
	src/base/hex.c \
	src/base/timefmt.h \
	src/base/timefmt.c \
	src/base/key-id.c \
	src/base/dir-safe.h \
	src/base/dir-safe.c
