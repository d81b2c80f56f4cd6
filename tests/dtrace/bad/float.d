/* expect: 5: floating-point argument 'double seconds' */
provider bad {
	probe fine(int);
	probe measured(int count,
	               double seconds);
};
