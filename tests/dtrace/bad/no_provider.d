/* expect: 1: no provider in the file */
typedef int nothing_t;
