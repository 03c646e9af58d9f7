/*
 * cu-run.h - runs the CUnit suites of one test program and turns failures
 * into a non-zero exit status (CUnit's own return value does not).
 */
#ifndef CS_CU_RUN_H
#define CS_CU_RUN_H

#include <stdio.h>
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

#endif /* CS_CU_RUN_H */
