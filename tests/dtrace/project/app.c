#include "probes.h"

#include <stdio.h>

#include "worker.h"

int main(void)
{
	static const char *jobs[] = { "compile", "link", "test" };
	unsigned int total = 0;
	for (int id = 0; id < 3; id++) {
		unsigned int status = run_job(id, jobs[id]);
		if (APP_JOB_DONE_ENABLED())
			APP_JOB_DONE(id, 1000LL * id, status);
		total += status;
	}
	APP_IDLE();
	printf("jobs done: %u\n", total);
	return 0;
}
