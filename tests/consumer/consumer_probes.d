/* A DTrace provider file, turned into a header by usdt-dtrace. */
provider consumer_d {
	probe started(int);
};
