# unit suites
