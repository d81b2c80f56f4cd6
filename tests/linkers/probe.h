#ifndef LINKER_PROBE_H
#define LINKER_PROBE_H
int linker_fire(int i);
#endif
