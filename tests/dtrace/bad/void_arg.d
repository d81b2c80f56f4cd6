/* expect: 3: 'void' is not an argument type */
provider bad {
	probe nothing(int, void);
};
