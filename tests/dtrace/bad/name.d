/* expect: 3: expected a probe name, found 'in$valid' */
provider bad {
	probe in$valid(int);
};
