/* expect: 4: has 13 arguments, at most 12 */
provider bad {
	probe twelve(int, int, int, int, int, int, int, int, int, int, int, int);
	probe thirteen(int, int, int, int, int, int, int, int, int, int, int, int, int);
};
