/* expect: 4: unterminated comment */
provider bad {
	probe fine();
	/* never closed
};
