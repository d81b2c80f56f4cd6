/* on_demand: dynamic probes that exist only while someone asks for them.
 *
 * The program runs a job every 100 ms. Its provider, on_demand, is created at
 * start but not loaded, so the process exposes no probes and its probe sites
 * cost one load each. `kill -USR1 PID` loads the provider and the program
 * prints the path to trace:
 *
 *   bpftrace examples/on_demand.bt /proc/PID/fd/N
 *
 * and a second `kill -USR1 PID` unloads it again (a third loads it, and so
 * on). The signal handler only counts signals: loading allocates, maps and
 * writes a file, none of which a handler may do, so the main loop does it.
 *
 * With --count N no job runs until a tracer is attached to the loaded
 * probes; then N jobs run at once, on_demand:done fires, and the program goes
 * on handling signals until Ctrl-C or SIGTERM. */
#define _POSIX_C_SOURCE 200809L
#include "example.h"

static volatile sig_atomic_t toggles_requested;

static void request_toggle(int signo)
{
	(void)signo;
	toggles_requested++;
}

static usdt_provider *provider;
static const usdt_probe *job, *done;
static unsigned long long jobs;

/* Counted outside USDT_FIRE, whose arguments are evaluated only while traced. */
static void run_job(void)
{
	jobs++;
	USDT_FIRE(job, jobs);
}

static int toggle(void)
{
	usdt_error err;
	if (usdt_provider_path(provider)) {
		if (usdt_provider_unload(provider, &err) != 0) {
			fprintf(stderr, "on_demand: %s\n", err.message);
			return -1;
		}
		printf("probes unloaded\n");
	} else {
		if (usdt_provider_load(provider, &err) != 0) {
			fprintf(stderr, "on_demand: %s\n", err.message);
			return -1;
		}
		printf("probes loaded; trace them with:\n"
		       "  bpftrace examples/on_demand.bt %s\n",
		       usdt_provider_path(provider));
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	long count;
	if (example_parse_count(argc, argv, &count) != argc) {
		fprintf(stderr, "usage: on_demand [--count N]\n");
		return 2;
	}
	usdt_error err;
	const enum usdt_type job_number[] = { USDT_UINT64 };
	provider = usdt_provider_create("on_demand", &err);
	if (!provider || !(job = usdt_probe_add(provider, "job", 1, job_number, &err)) ||
	    !(done = usdt_probe_add(provider, "done", 0, NULL, &err))) {
		fprintf(stderr, "on_demand: %s\n", err.message);
		return 1;
	}
	struct sigaction action;
	memset(&action, 0, sizeof(action));
	action.sa_handler = request_toggle;
	sigemptyset(&action.sa_mask);
	sigaction(SIGUSR1, &action, NULL);
	example_handle_stop();
	printf("on_demand (pid %ld) runs a job every 100 ms, with no probes until\n"
	       "  kill -USR1 %ld\n"
	       "loads them; the same again unloads them.\n",
	       (long)getpid(), (long)getpid());
	fflush(stdout);

	sig_atomic_t toggles_done = 0;
	while (!example_stopped) {
		while (toggles_done != toggles_requested) {
			if (toggle() != 0)
				return 1;
			toggles_done++;
		}
		if (count == 0) {
			run_job();
		} else if (jobs == 0 && usdt_provider_path(provider)) {
			const usdt_probe *const probes[] = { job, done };
			if (example_wait_traced(probes, 2) != 0)
				return 1;
			while (jobs < (unsigned long long)count)
				run_job();
			USDT_FIRE(done);
		}
		example_sleep_us(100 * 1000);
	}
	printf("ran %llu jobs\n", jobs);
	usdt_provider_destroy(provider);
	return 0;
}
