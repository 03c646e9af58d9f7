# filled in by the src/admin work
