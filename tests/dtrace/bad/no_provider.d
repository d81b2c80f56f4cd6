/* expect -h: 1: no provider in */
typedef int nothing_t;
