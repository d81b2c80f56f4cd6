/* expect: 5: expected 'probe' or '}' in provider bad, found 'probes' */
provider bad {
	probe fine();
	// a comment
	probes oops();
};
