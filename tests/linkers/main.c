/* The program of the linker tests (tests/test_linkers.py): fires
 * usdt_linker:hit FIRES times and prints how many of them found the probe
 * enabled. With an argument, it first prints "ready" and waits for a line on
 * its standard input (sent once bpftrace -p has attached). */
#include <stdio.h>

#include "probe.h"

#define FIRES 1000

int main(int argc, char **argv)
{
	char line[16];
	int i, enabled = 0;
	(void)argv;
	if (argc > 1) {
		printf("ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof line, stdin))
			return 1;
	}
	for (i = 0; i < FIRES; i++)
		enabled += linker_fire(i);
	printf("enabled=%d\n", enabled);
	return 0;
}
