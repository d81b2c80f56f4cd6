/* Probes that call sites (compat.c) fire with other, compatible types. */
provider compat {
	probe address(uintptr_t);
	probe count(long);
	probe text(char *);
	probe handle(void *);
	probe flags(unsigned int, int);
	probe small(short, unsigned char);
	probe size(size_t, uint64_t);
	probe nothing();
};
