# filled in by the src/client work
