/*
 * cu-run.h - runs the CUnit suites of one test program and turns failures
 * into a non-zero exit status (CUnit's own return value does not).
 */
#ifndef CS_CU_RUN_H
#define CS_CU_RUN_H

#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>

struct cu_case {
	const char	*name;
	void		(*fn)(void);
};

/* Registers one suite of cases; returns -1 on a CUnit error. */
static inline int
cu_add_suite(const char *name, const struct cu_case *cases, size_t n,
    CU_InitializeFunc init, CU_CleanupFunc cleanup)
{
	CU_pSuite suite;
	size_t i;

	if ((suite = CU_add_suite(name, init, cleanup)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (CU_add_test(suite, cases[i].name, cases[i].fn) == NULL)
			return -1;
	return 0;
}

/* Runs everything registered; exit status 0 only when all passed. */
static inline int
cu_run_all(void)
{
	unsigned int failures;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() +
	    CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
}

#define CU_CASES(a)	(a), (sizeof(a) / sizeof((a)[0]))

/*
 * Table rows that name themselves (p11-kit's assert_str_contains): a
 * failing row reports which row it was and both values, so a table of
 * forty URIs does not fail with a bare "CU_ASSERT(strstr(...))".  `row`
 * is the row's input or name.  CUnit copies the message.
 */
static inline void
cu_assert_contains(const char *hay, const char *needle, const char *row,
    unsigned int line, const char *file, const char *func)
{
	char msg[1024];
	int ok = hay != NULL && needle != NULL && strstr(hay, needle) != NULL;

	if (!ok)
		snprintf(msg, sizeof(msg), "row '%.200s': '%.600s' does not "
		    "contain '%.150s'", row, hay != NULL ? hay : "(null)",
		    needle != NULL ? needle : "(null)");
	CU_assertImplementation(ok, line, ok ? "contains" : msg, file, func,
	    CU_FALSE);
}

static inline void
cu_assert_equal_row(long got, long want, const char *row, unsigned int line,
    const char *file, const char *func)
{
	char msg[512];

	if (got != want)
		snprintf(msg, sizeof(msg), "row '%.400s': got %ld, expected "
		    "%ld",
		    row, got, want);
	CU_assertImplementation(got == want, line, got == want ? "equal" :
	    msg, file, func, CU_FALSE);
}

#define CU_ASSERT_CONTAINS(hay, needle, row) \
	cu_assert_contains((hay), (needle), (row), __LINE__, __FILE__, \
	    __func__)
#define CU_ASSERT_EQUAL_ROW(got, want, row) \
	cu_assert_equal_row((long)(got), (long)(want), (row), __LINE__, \
	    __FILE__, __func__)

#endif /* CS_CU_RUN_H */
