/* The probes of a small project that builds them with dtrace -h and -G. */
provider app {
	probe job__start(int id, const char *name);
	probe job__done(int id, long long elapsed_ns, unsigned int status);
	probe idle();
};
#pragma D attributes Evolving/Evolving/Common provider app provider
