/* Included by types.d through the preprocessor. */
#define Oid unsigned int
#define Flag unsigned char
