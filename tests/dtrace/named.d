/* A provider in the style of a language runtime: named parameters, probe
 * names with double underscores, stability pragmas, comments. */

#pragma D attributes Evolving/Evolving/Standard provider named provider
#pragma D attributes Private/Private/Unknown provider named module

provider named {
	/* Entering and leaving a function. */
	probe function__entry(const char *filename, const char *funcname, int lineno);
	probe function__return(const char *filename,
	                       const char *funcname,
	                       int lineno);
	probe gc__start(int generation);   // a line comment
	probe gc__done(long collected);
	probe instance__new__start(const char *type_name, const char *module);
	probe audit(const char *event, void *arg);
	probe line(char *filename, unsigned long long lineno, _Bool traced);
	probe done();
};

#pragma D attributes Evolving/Evolving/Standard provider named function
