#ifndef WORKER_H
#define WORKER_H
unsigned int run_job(int id, const char *name);
#endif
