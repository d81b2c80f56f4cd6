/* expect: 5: floating-point argument */
# 100 reasons: without -C, a comment, not a line marker
provider bad {
	probe fine(int);
	probe real(double);
};
