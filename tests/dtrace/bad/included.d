/* Preprocessed (-C): the line is this file's, after the included lines.
 * expect -C: 9: floating-point argument 'float r' */
#include "../types_defs.h"
#define Ratio float

provider bad {
	probe fine(Oid);
	probe ratio(
		Ratio r);
};
