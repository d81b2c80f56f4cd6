/* expect: 4: expected ';' after probe first, found 'probe' */
provider bad {
	probe first(int)
	probe second(int);
};
