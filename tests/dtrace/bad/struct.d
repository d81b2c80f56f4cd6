/* expect: 6: struct argument 'struct timespec when' */
typedef struct timespec timespec_t;

provider bad {
	probe pointer(struct timespec *when);
	probe value(struct timespec when);
};
