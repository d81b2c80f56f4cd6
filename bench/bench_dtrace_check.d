/* bench_dtrace_check.c's provider: usdt-dtrace -h writes its header. */
provider bench_dtrace {
	probe fire(unsigned long long);
};
