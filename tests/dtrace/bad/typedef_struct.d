/* expect: 7: struct argument 'span_t' */
typedef struct span {
	int start, end;
} span_t;

provider bad {
	probe measured(span_t);
};
