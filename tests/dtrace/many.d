/* Many probes in two providers, with 0 to 12 arguments. */

provider many {
	probe args0();
	probe args1(unsigned long);
	probe args2(short, unsigned char);
	probe args3(unsigned char, long long, uint16_t);
	probe args4(long long, uint16_t, int8_t, unsigned int);
	probe args5(uint16_t, int8_t, unsigned int, char, uint64_t);
	probe args6(int8_t, unsigned int, char, uint64_t, signed char, long);
	probe args7(unsigned int, char, uint64_t, signed char, long, int, unsigned long);
	probe args8(char, uint64_t, signed char, long, int, unsigned long, short, unsigned char);
	probe args9(uint64_t, signed char, long, int, unsigned long, short, unsigned char, long long, uint16_t);
	probe args10(signed char, long, int, unsigned long, short, unsigned char, long long, uint16_t, int8_t, unsigned int);
	probe args11(long, int, unsigned long, short, unsigned char, long long, uint16_t, int8_t, unsigned int, char, uint64_t);
	probe args12(int, unsigned long, short, unsigned char, long long, uint16_t, int8_t, unsigned int, char, uint64_t, signed char, long);
	probe done();
};

provider second {
	probe event__1(int64_t seq, const char *name);
	probe event__2(int64_t seq);
	probe event__3(int64_t seq, const char *name);
	probe event__4(int64_t seq);
	probe event__5(int64_t seq, const char *name);
	probe event__6(int64_t seq);
	probe event__7(int64_t seq, const char *name);
	probe event__8(int64_t seq);
};
