/*
 * mutate-open.c - the bad-input battery's driver: for every single-byte
 * change and every truncation of a sealed file, runs `certseal ... open
 * MUTANT -o OUT` and checks the failure rules of DESIGN.md section 5: a
 * non-zero documented exit code, nothing on stdout, no output file.
 *
 *   mutate-open CERTSEAL SOURCE-URI SEALED-FILE WORKDIR [STRIDE]
 *
 * STRIDE > 1 samples every STRIDE-th position (for the big RSA files).
 * Prints the counts per exit code; exits 1 when any mutant broke a rule.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *certseal, *source, *workdir;
static unsigned counts[256], broken, tried;

static int
write_file(const char *path, const unsigned char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL)
		return -1;
	if (len > 0 && fwrite(data, 1, len, fp) != len) {
		fclose(fp);
		return -1;
	}
	return fclose(fp);
}

/*
 * Runs certseal on the mutant once; returns its exit code, -1 if it
 * crashed, -3 if the child could not start it (exec or its stdout file
 * failed: it then reports the errno through the pipe).
 */
static int
run_open_once(const char *mutant, const char *out, const char *stdout_path,
    int *errp)
{
	pid_t pid;
	int status, fd, err = 0, p[2];
	ssize_t n;

	*errp = 0;
	if (pipe2(p, O_CLOEXEC) != 0)
		return -2;
	/* A loaded machine may refuse a fork for a moment: wait and retry. */
	while ((pid = fork()) < 0) {
		if (errno != EAGAIN) {
			close(p[0]);
			close(p[1]);
			return -2;
		}
		usleep(10000);
	}
	if (pid == 0) {
		close(p[0]);
		if ((fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) >= 0) {
			dup2(fd, STDOUT_FILENO);
			close(fd);
			if ((fd = open("/dev/null", O_RDWR)) >= 0) {
				dup2(fd, STDERR_FILENO);
				dup2(fd, STDIN_FILENO);
				close(fd);
			}
			execl(certseal, certseal,
			    "--accept-encrypted-data-only", "-s", source,
			    "open", mutant, "-o", out, (char *)NULL);
		}
		/* The pipe is close-on-exec: only a failed start writes. */
		err = errno;
		(void)!write(p[1], &err, sizeof(err));
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (n == (ssize_t)sizeof(err)) {
		*errp = err;
		return -3;
	}
	if (WIFSIGNALED(status))
		return -100 - WTERMSIG(status);
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Runs certseal on the mutant; a start refused for a moment (EAGAIN,
 * ENOMEM from exec on a machine full of sanitizer processes) is retried,
 * and one that keeps failing is reported with its reason.
 */
static int
run_open(const char *mutant, const char *out, const char *stdout_path)
{
	int code, err, tries;

	for (tries = 0; tries < 20; tries++) {
		code = run_open_once(mutant, out, stdout_path, &err);
		if (code != -3)
			return code;
		if (err != EAGAIN && err != ENOMEM && err != ETXTBSY)
			break;
		usleep(50000);
	}
	fprintf(stderr, "cannot start %s: %s\n", certseal, strerror(err));
	return -3;
}

static void
check_mutant(const unsigned char *data, size_t len, const char *what,
    size_t pos)
{
	char mutant[4096], out[4096], so[4096];
	struct stat st;
	int code;

	snprintf(mutant, sizeof(mutant), "%s/mutant", workdir);
	snprintf(out, sizeof(out), "%s/mutant.out", workdir);
	snprintf(so, sizeof(so), "%s/mutant.stdout", workdir);
	unlink(out);
	if (write_file(mutant, data, len) != 0) {
		perror(mutant);
		exit(2);
	}
	code = run_open(mutant, out, so);
	tried++;
	if (code <= -100) {
		fprintf(stderr, "%s at %zu: killed by signal %d\n", what,
		    pos, -100 - code);
		broken++;
		return;
	}
	if (code < 0 || code == 127) {
		fprintf(stderr, "%s at %zu: did not run (%d)\n", what, pos,
		    code);
		broken++;
		return;
	}
	counts[code]++;
	/* 3 (a changed key id), 4 (integrity), 5 (no longer looks sealed). */
	if (code != 3 && code != 4 && code != 5) {
		fprintf(stderr, "%s at %zu: exit %d\n", what, pos, code);
		broken++;
	}
	if (stat(so, &st) == 0 && st.st_size != 0) {
		fprintf(stderr, "%s at %zu: %lld bytes on stdout\n", what, pos,
		    (long long)st.st_size);
		broken++;
	}
	if (stat(out, &st) == 0) {
		fprintf(stderr, "%s at %zu: output file created\n", what, pos);
		broken++;
	}
}

int
main(int argc, char **argv)
{
	unsigned char *data, saved;
	size_t len, pos, stride = 1;
	FILE *fp;
	long size;
	int i;

	if (argc < 5) {
		fprintf(stderr, "usage: mutate-open CERTSEAL SOURCE SEALED "
		    "WORKDIR [STRIDE]\n");
		return 2;
	}
	certseal = argv[1];
	source = argv[2];
	workdir = argv[4];
	if (argc > 5)
		stride = (size_t)strtoul(argv[5], NULL, 10);
	if (stride == 0)
		stride = 1;
	if ((fp = fopen(argv[3], "rb")) == NULL || fseek(fp, 0, SEEK_END) ||
	    (size = ftell(fp)) <= 0 || fseek(fp, 0, SEEK_SET)) {
		perror(argv[3]);
		return 2;
	}
	len = (size_t)size;
	/* One NUL past the end, for the white-space test below. */
	if ((data = calloc(1, len + 1)) == NULL ||
	    fread(data, 1, len, fp) != len)
		return 2;
	fclose(fp);
	for (pos = 0; pos < len; pos += stride) {
		saved = data[pos];
		data[pos] ^= 0xff;
		check_mutant(data, len, "byte change", pos);
		data[pos] = saved;
	}
	for (pos = 0; pos < len; pos += stride) {
		/* Cutting only trailing white space leaves the same file. */
		if (strspn((const char *)data + pos, " \t\r\n") == len - pos)
			continue;
		check_mutant(data, pos, "truncation", pos);
	}
	printf("%u mutants of %zu bytes:", tried, len);
	for (i = 0; i < 256; i++)
		if (counts[i] != 0)
			printf(" exit %d: %u;", i, counts[i]);
	printf(" rules broken: %u\n", broken);
	free(data);
	return broken == 0 ? 0 : 1;
}
