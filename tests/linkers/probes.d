/* The probe of tests/linkers/probe.c built from a header usdt-dtrace
 * generates (LINKER_GENERATED). */
provider usdt_linker {
	probe hit(int);
};
