/* expect: 5: probe twice is declared twice in provider bad */
provider bad {
	probe twice(int);
	probe other();
	probe twice(long);
};
