/* expect: 3: unexpected end of file, expected ')' */
provider bad {
	probe open(int,
