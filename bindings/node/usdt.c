/*
 * USDT probes for Node.js programs: a Node-API module over libusdt.
 *
 *     const usdt = require('./usdt.node');        // built by meson: bindings/node/
 *
 *     const provider = new usdt.Provider('myapp'); // a name from anywhere
 *     const request = provider.probe('request', 'int64', 'string');
 *     const done = provider.probe('done', 'uint64', 'string');
 *     provider.load();                              // visible to tracers
 *     console.log('bpftrace path:', provider.path);
 *     if (request.enabled)                          // a memory read
 *         request.fire(id, describe(req));
 *     request.fire(42n, '/');                       // true if it fired
 *     const start = done.timestamp();               // 0n, no clock read, untraced
 *     serve();
 *     done.fireElapsed(start, '/');                 // (elapsed ns, '/') if traced
 *     provider.unload();                            // disabled no-ops until load
 *     provider.destroy();                           // after the last fire
 *
 * Types: 'int8' ... 'uint64', 'pointer', 'string'. fire() takes numbers
 * (integers), BigInts (all 64 bits), booleans, strings (UTF-8) and null (a
 * NULL pointer or string). It checks the argument count on every call; the
 * values are converted, and their types and ranges checked, only while the
 * probe is traced (a value out of range throws RangeError, never truncated;
 * a wrong type TypeError). The library's errors throw an Error with its
 * message and its errno in `errno`.
 *
 * Worker threads: a provider is one per name and process. new Provider(name)
 * in a worker, while another thread holds a provider of that name, gives the
 * same provider; probe(name, ...types) with the types it was added with gives
 * that probe, also once loaded. load and unload act for every thread; the
 * provider is destroyed when the last thread holding it calls destroy() or
 * ends.
 */
#define NAPI_VERSION 8
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usdt.h"

/* One provider of the process, shared by every thread's Provider objects. */
struct usdt_node_shared {
	struct usdt_node_shared *next;
	usdt_provider *provider;
	int refs;
	int nprobes;
	struct usdt_node_probe_decl {
		const usdt_probe *handle;
		char name[USDT_NAME_MAX + 1];
		int argc;
		enum usdt_type types[USDT_MAX_ARGS];
	} *probes;
	char name[USDT_NAME_MAX + 1];
};

/* The list, and every library call on its providers, under one lock. */
static pthread_mutex_t usdt_node_lock = PTHREAD_MUTEX_INITIALIZER;
static struct usdt_node_shared *usdt_node_providers;

struct usdt_node_provider { /* a Provider object */
	struct usdt_node_shared *shared; /* NULL once destroyed */
};

struct usdt_node_probe { /* a Probe object */
	const usdt_probe *handle;
	struct usdt_node_provider *owner;
	napi_ref owner_ref; /* keeps the Provider object alive */
	int argc;
	enum usdt_type types[USDT_MAX_ARGS];
	char name[USDT_NAME_MAX + 1];
};

static const char *const usdt_node_type_names[] = {
	"", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
	"pointer", "string"
};

#define USDT_NODE_CHECK(env, call)                                        \
	do {                                                              \
		if ((call) != napi_ok)                                    \
			return usdt_node_pending(env);                    \
	} while (0)

/* After a failed Node-API call: make sure an exception is pending. */
static napi_value usdt_node_pending(napi_env env)
{
	bool pending = false;
	if (napi_is_exception_pending(env, &pending) == napi_ok && !pending)
		napi_throw_error(env, NULL, "usdt: a Node-API call failed");
	return NULL;
}

/* Throw the library's error: an Error with its message and errno. */
static napi_value usdt_node_throw(napi_env env, const usdt_error *err)
{
	napi_value message, error, code;
	if (napi_create_string_utf8(env, err->message, NAPI_AUTO_LENGTH, &message) == napi_ok &&
	    napi_create_error(env, NULL, message, &error) == napi_ok &&
	    napi_create_int32(env, err->code, &code) == napi_ok &&
	    napi_set_named_property(env, error, "errno", code) == napi_ok)
		napi_throw(env, error);
	return usdt_node_pending(env);
}

/* The object a Provider method was called on (unwrapped) and its arguments:
 * *argc is how many argv holds, then how many were given. */
static void *usdt_node_args(napi_env env, napi_callback_info info, size_t *argc,
			    napi_value *argv, napi_value *self)
{
	void *data = NULL;
	napi_value this_arg;
	if (napi_get_cb_info(env, info, argc, argv, &this_arg, NULL) != napi_ok ||
	    napi_unwrap(env, this_arg, &data) != napi_ok) {
		usdt_node_pending(env);
		return NULL;
	}
	if (self)
		*self = this_arg;
	return data;
}

/* The probe a probe method was called on (its data: no unwrap), and its
 * arguments. */
static struct usdt_node_probe *usdt_node_probe_of(napi_env env, napi_callback_info info,
						  size_t *argc, napi_value *argv)
{
	void *data = NULL;
	if (napi_get_cb_info(env, info, argc, argv, NULL, &data) != napi_ok)
		usdt_node_pending(env);
	return data;
}

/* A string argument as a C string to free; NULL with an exception thrown. */
static char *usdt_node_string(napi_env env, napi_value value, const char *what)
{
	size_t len;
	char *s;
	napi_valuetype type;
	if (napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
		napi_throw_type_error(env, NULL, what);
		return NULL;
	}
	if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok)
		return usdt_node_pending(env), NULL;
	if (!(s = malloc(len + 1))) {
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	if (napi_get_value_string_utf8(env, value, s, len + 1, &len) != napi_ok) {
		free(s);
		return usdt_node_pending(env), NULL;
	}
	if (strlen(s) != len) {
		free(s);
		napi_throw_type_error(env, NULL, "a string passed to usdt holds a NUL character");
		return NULL;
	}
	return s;
}

/* ---- Provider ---- */

static void usdt_node_release(struct usdt_node_shared *shared)
{
	struct usdt_node_shared **p;
	pthread_mutex_lock(&usdt_node_lock);
	if (--shared->refs == 0) {
		for (p = &usdt_node_providers; *p != shared; p = &(*p)->next)
			;
		*p = shared->next;
		usdt_provider_destroy(shared->provider);
		free(shared->probes);
		free(shared);
	}
	pthread_mutex_unlock(&usdt_node_lock);
}

static void usdt_node_provider_finalize(napi_env env, void *data, void *hint)
{
	struct usdt_node_provider *self = data;
	(void)env, (void)hint;
	if (self->shared)
		usdt_node_release(self->shared);
	free(self);
}

/* The process's provider called name, made if there is none; NULL with err. */
static struct usdt_node_shared *usdt_node_acquire(const char *name, usdt_error *err)
{
	struct usdt_node_shared *shared;
	pthread_mutex_lock(&usdt_node_lock);
	for (shared = usdt_node_providers; shared; shared = shared->next)
		if (strcmp(shared->name, name) == 0)
			break;
	if (shared) {
		shared->refs++;
	} else if (!(shared = calloc(1, sizeof *shared))) {
		err->code = ENOMEM;
		snprintf(err->message, sizeof err->message, "out of memory");
	} else if (!(shared->provider = usdt_provider_create(name, err))) {
		free(shared);
		shared = NULL;
	} else {
		snprintf(shared->name, sizeof shared->name, "%s", name);
		shared->refs = 1;
		shared->next = usdt_node_providers;
		usdt_node_providers = shared;
	}
	pthread_mutex_unlock(&usdt_node_lock);
	return shared;
}

static napi_value usdt_node_provider_new(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], self, target;
	char *name;
	usdt_error err;
	struct usdt_node_provider *provider;

	USDT_NODE_CHECK(env, napi_get_new_target(env, info, &target));
	if (!target) {
		napi_throw_type_error(env, NULL, "usdt.Provider is a class: use new");
		return NULL;
	}
	USDT_NODE_CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
	if (argc < 1)
		argv[0] = NULL;
	if (!(name = usdt_node_string(env, argv[0], "the provider's name must be a string")))
		return NULL;
	if (!(provider = calloc(1, sizeof *provider))) {
		free(name);
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	provider->shared = usdt_node_acquire(name, &err);
	free(name);
	if (!provider->shared) {
		free(provider);
		return usdt_node_throw(env, &err);
	}
	if (napi_wrap(env, self, provider, usdt_node_provider_finalize, NULL, NULL) != napi_ok) {
		usdt_node_provider_finalize(env, provider, NULL);
		return usdt_node_pending(env);
	}
	return self;
}

/* The provider's library handle; NULL (thrown) once destroyed. */
static struct usdt_node_shared *usdt_node_live(napi_env env, struct usdt_node_provider *p)
{
	if (p && !p->shared)
		napi_throw_error(env, NULL, "usdt: the provider is destroyed");
	return p ? p->shared : NULL;
}

static napi_value usdt_node_provider_call(napi_env env, napi_callback_info info,
					  int (*call)(usdt_provider *, usdt_error *))
{
	size_t argc = 0;
	usdt_error err;
	int rc;
	struct usdt_node_shared *shared =
		usdt_node_live(env, usdt_node_args(env, info, &argc, NULL, NULL));
	if (!shared)
		return NULL;
	pthread_mutex_lock(&usdt_node_lock);
	rc = call(shared->provider, &err);
	pthread_mutex_unlock(&usdt_node_lock);
	return rc != 0 ? usdt_node_throw(env, &err) : NULL;
}

static napi_value usdt_node_load(napi_env env, napi_callback_info info)
{
	return usdt_node_provider_call(env, info, usdt_provider_load);
}

static napi_value usdt_node_unload(napi_env env, napi_callback_info info)
{
	return usdt_node_provider_call(env, info, usdt_provider_unload);
}

static napi_value usdt_node_destroy(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	struct usdt_node_provider *provider = usdt_node_args(env, info, &argc, NULL, NULL);
	if (provider && provider->shared) {
		usdt_node_release(provider->shared);
		provider->shared = NULL;
	}
	return NULL;
}

static napi_value usdt_node_path(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	char path[4096] = "";
	napi_value result;
	struct usdt_node_provider *provider = usdt_node_args(env, info, &argc, NULL, NULL);
	if (!provider)
		return NULL;
	if (provider->shared) {
		pthread_mutex_lock(&usdt_node_lock);
		const char *p = usdt_provider_path(provider->shared->provider);
		snprintf(path, sizeof path, "%s", p ? p : "");
		pthread_mutex_unlock(&usdt_node_lock);
	}
	if (!path[0]) {
		USDT_NODE_CHECK(env, napi_get_null(env, &result));
		return result;
	}
	USDT_NODE_CHECK(env, napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &result));
	return result;
}

/* ---- Probe ---- */

static void usdt_node_probe_finalize(napi_env env, void *data, void *hint)
{
	struct usdt_node_probe *probe = data;
	(void)hint;
	napi_delete_reference(env, probe->owner_ref);
	free(probe);
}

static napi_value usdt_node_fire(napi_env env, napi_callback_info info);
static napi_value usdt_node_timestamp(napi_env env, napi_callback_info info);
static napi_value usdt_node_fire_elapsed(napi_env env, napi_callback_info info);
static napi_value usdt_node_enabled(napi_env env, napi_callback_info info);
static napi_value usdt_node_probe_name(napi_env env, napi_callback_info info);

/* The probe called name with these types: the provider's, or added. */
static const usdt_probe *usdt_node_add(struct usdt_node_shared *shared, const char *name,
				       int argc, const enum usdt_type *types, usdt_error *err)
{
	struct usdt_node_probe_decl *decl = NULL, *grown;
	const usdt_probe *handle;
	int i;
	for (i = 0; i < shared->nprobes; i++) {
		decl = &shared->probes[i];
		if (strcmp(decl->name, name) == 0 && decl->argc == argc &&
		    memcmp(decl->types, types, (size_t)argc * sizeof *types) == 0)
			return decl->handle;
	}
	if (!(grown = realloc(shared->probes, (size_t)(shared->nprobes + 1) * sizeof *grown))) {
		err->code = ENOMEM;
		snprintf(err->message, sizeof err->message, "out of memory");
		return NULL;
	}
	shared->probes = grown;
	if (!(handle = usdt_probe_add(shared->provider, name, argc, types, err)))
		return NULL;
	decl = &shared->probes[shared->nprobes++];
	decl->handle = handle;
	snprintf(decl->name, sizeof decl->name, "%s", name);
	decl->argc = argc;
	memcpy(decl->types, types, (size_t)argc * sizeof *types);
	return handle;
}

static napi_value usdt_node_probe_add(napi_env env, napi_callback_info info)
{
	size_t argc = USDT_MAX_ARGS + 2, i;
	napi_value argv[USDT_MAX_ARGS + 2], self, result;
	struct usdt_node_probe *probe;
	struct usdt_node_shared *shared;
	char *name = NULL, *type;
	usdt_error err;
	int t;

	shared = usdt_node_live(env, usdt_node_args(env, info, &argc, argv, &self));
	if (!shared)
		return NULL;
	if (argc < 1)
		argv[0] = NULL;
	if (argc > USDT_MAX_ARGS + 1) {
		napi_throw_type_error(env, NULL, "a probe takes at most 12 arguments");
		return NULL;
	}
	if (!(probe = calloc(1, sizeof *probe))) {
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	if (!(name = usdt_node_string(env, argv[0], "the probe's name must be a string")))
		goto fail;
	probe->argc = (int)argc - 1;
	for (i = 1; i < argc; i++) {
		if (!(type = usdt_node_string(env, argv[i], "argument types are strings: 'int8' "
					      "... 'uint64', 'pointer', 'string'")))
			goto fail;
		for (t = USDT_INT8; t <= USDT_STRING; t++)
			if (strcmp(type, usdt_node_type_names[t]) == 0)
				break;
		free(type);
		if (t > USDT_STRING) {
			napi_throw_type_error(env, NULL, "unknown argument type: use 'int8' ... "
					      "'uint64', 'pointer' or 'string'");
			goto fail;
		}
		probe->types[i - 1] = (enum usdt_type)t;
	}
	pthread_mutex_lock(&usdt_node_lock);
	probe->handle = usdt_node_add(shared, name, probe->argc, probe->types, &err);
	pthread_mutex_unlock(&usdt_node_lock);
	if (!probe->handle) {
		free(name);
		free(probe);
		return usdt_node_throw(env, &err);
	}
	snprintf(probe->name, sizeof probe->name, "%s", name); /* checked by the library */
	free(name);
	name = NULL;
	/* A plain object whose methods get the probe as their data. */
	napi_property_descriptor props[] = {
		{ "fire", NULL, usdt_node_fire, NULL, NULL, NULL, napi_default_method, probe },
		{ "timestamp", NULL, usdt_node_timestamp, NULL, NULL, NULL, napi_default_method,
		  probe },
		{ "fireElapsed", NULL, usdt_node_fire_elapsed, NULL, NULL, NULL,
		  napi_default_method, probe },
		{ "enabled", NULL, NULL, usdt_node_enabled, NULL, NULL, napi_enumerable, probe },
		{ "name", NULL, NULL, usdt_node_probe_name, NULL, NULL, napi_enumerable, probe },
	};
	if (napi_unwrap(env, self, (void **)&probe->owner) != napi_ok ||
	    napi_create_reference(env, self, 1, &probe->owner_ref) != napi_ok)
		goto fail;
	if (napi_create_object(env, &result) != napi_ok ||
	    napi_define_properties(env, result, sizeof props / sizeof *props, props) != napi_ok ||
	    napi_wrap(env, result, probe, usdt_node_probe_finalize, NULL, NULL) != napi_ok) {
		napi_delete_reference(env, probe->owner_ref);
		goto fail;
	}
	return result;
fail:
	free(name);
	free(probe);
	return usdt_node_pending(env);
}

static int usdt_node_enabled_now(const struct usdt_node_probe *probe)
{
	return probe->owner->shared && USDT_ENABLED(probe->handle);
}

static napi_value usdt_node_enabled(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	napi_value result;
	struct usdt_node_probe *probe = usdt_node_probe_of(env, info, &argc, NULL);
	if (!probe)
		return NULL;
	USDT_NODE_CHECK(env, napi_get_boolean(env, usdt_node_enabled_now(probe), &result));
	return result;
}

/* Throw "argument N of probe P is TYPE: what"; -1. */
static int usdt_node_bad(napi_env env, const struct usdt_node_probe *probe, int i,
			 int range, const char *what)
{
	char message[256];
	snprintf(message, sizeof message, "argument %d of probe %s is %s: %s", i + 1, probe->name,
		 usdt_node_type_names[probe->types[i]], what);
	if (range)
		napi_throw_range_error(env, NULL, message);
	else
		napi_throw_type_error(env, NULL, message);
	return -1;
}

/* Whether a value (negative: s; else u) fits in type t. */
static int usdt_node_fits(enum usdt_type t, int negative, int64_t s, uint64_t u)
{
	static const int64_t min[] = { 0, INT8_MIN, 0, INT16_MIN, 0, INT32_MIN, 0, INT64_MIN, 0, 0 };
	static const uint64_t max[] = { 0, INT8_MAX, UINT8_MAX, INT16_MAX, UINT16_MAX, INT32_MAX,
					UINT32_MAX, INT64_MAX, UINT64_MAX, UINT64_MAX };
	return negative ? s >= min[t] : u <= max[t];
}

/* Argument i as the probe's 64-bit value in *out; a string is copied into
 * *keep, freed by the caller. 0, or -1 with an exception thrown. */
static int usdt_node_convert(napi_env env, const struct usdt_node_probe *probe, int i,
			     napi_value value, uint64_t *out, char **keep)
{
	enum usdt_type t = probe->types[i];
	napi_valuetype type;
	int negative = 0;
	int64_t s = 0;
	uint64_t u = 0;
	bool lossless = true, flag;
	double d;
	size_t len;

	*out = 0;
	if (napi_typeof(env, value, &type) != napi_ok)
		return -1;
	if (type == napi_null && (t == USDT_POINTER || t == USDT_STRING))
		return 0;
	if (type == napi_string && (t == USDT_POINTER || t == USDT_STRING)) {
		if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok)
			return -1;
		if (!(*keep = malloc(len + 1))) {
			napi_throw_error(env, NULL, "out of memory");
			return -1;
		}
		if (napi_get_value_string_utf8(env, value, *keep, len + 1, &len) != napi_ok)
			return -1;
		*out = (uint64_t)(uintptr_t)*keep;
		return 0;
	}
	if (t == USDT_STRING)
		return usdt_node_bad(env, probe, i, 0, "expected a string or null");
	switch (type) {
	case napi_boolean:
		if (napi_get_value_bool(env, value, &flag) != napi_ok)
			return -1;
		u = flag;
		break;
	case napi_number:
		if (napi_get_value_double(env, value, &d) != napi_ok)
			return -1;
		if (d != floor(d) || !isfinite(d))
			return usdt_node_bad(env, probe, i, 0, "expected an integer");
		if (d < -9223372036854775808.0 || d >= 18446744073709551616.0)
			return usdt_node_bad(env, probe, i, 1, "out of range");
		negative = d < 0;
		if (negative)
			s = (int64_t)d;
		else
			u = (uint64_t)d;
		break;
	case napi_bigint:
		if (napi_get_value_bigint_int64(env, value, &s, &lossless) != napi_ok)
			return -1;
		negative = lossless && s < 0;
		if (!negative) {
			if (napi_get_value_bigint_uint64(env, value, &u, &lossless) != napi_ok)
				return -1;
			if (!lossless)
				return usdt_node_bad(env, probe, i, 1, "out of range");
		}
		break;
	default:
		return usdt_node_bad(env, probe, i, 0, "expected a number, BigInt or boolean");
	}
	if (!usdt_node_fits(t, negative, s, u))
		return usdt_node_bad(env, probe, i, 1, "out of range");
	*out = negative ? (uint64_t)s : u;
	return 0;
}

/* Fire with argv[first..] after `prefix` values; true if it fired. */
static napi_value usdt_node_fire_values(napi_env env, struct usdt_node_probe *probe,
					const uint64_t *prefix, int nprefix, napi_value *argv)
{
	uint64_t values[USDT_MAX_ARGS];
	char *keep[USDT_MAX_ARGS] = { 0 };
	napi_value result = NULL;
	int i, fired = 0, ok = 1;

	for (i = 0; i < nprefix; i++)
		values[i] = prefix[i];
	for (; i < probe->argc && ok; i++)
		ok = usdt_node_convert(env, probe, i, argv[i - nprefix], &values[i], &keep[i]) == 0;
	if (ok && usdt_node_enabled_now(probe))
		fired = usdt_probe_fire(probe->handle, probe->argc, values) == 1;
	for (i = 0; i < probe->argc; i++)
		free(keep[i]);
	if (ok)
		napi_get_boolean(env, fired, &result);
	return ok ? result : usdt_node_pending(env);
}

/* The probe of this call, its arguments checked for count; NULL if thrown. */
static struct usdt_node_probe *usdt_node_fire_args(napi_env env, napi_callback_info info,
						   napi_value *argv, int skip)
{
	size_t argc = USDT_MAX_ARGS + 1;
	char message[160];
	struct usdt_node_probe *probe = usdt_node_probe_of(env, info, &argc, argv);
	if (probe && argc != (size_t)(probe->argc + skip)) {
		snprintf(message, sizeof message, "probe %s takes %d arguments (%zu given)",
			 probe->name, probe->argc, argc - (size_t)skip);
		napi_throw_type_error(env, NULL, message);
		return NULL;
	}
	return probe;
}

static napi_value usdt_node_false(napi_env env)
{
	napi_value result;
	USDT_NODE_CHECK(env, napi_get_boolean(env, false, &result));
	return result;
}

static napi_value usdt_node_fire(napi_env env, napi_callback_info info)
{
	napi_value argv[USDT_MAX_ARGS + 1];
	struct usdt_node_probe *probe = usdt_node_fire_args(env, info, argv, 0);
	if (!probe)
		return NULL;
	if (!usdt_node_enabled_now(probe))
		return usdt_node_false(env);
	return usdt_node_fire_values(env, probe, NULL, 0, argv);
}

static napi_value usdt_node_timestamp(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	napi_value result;
	struct usdt_node_probe *probe = usdt_node_probe_of(env, info, &argc, NULL);
	if (!probe)
		return NULL;
	USDT_NODE_CHECK(env, napi_create_bigint_uint64(
		env, usdt_node_enabled_now(probe) ? usdt_now_ns() : 0, &result));
	return result;
}

/* fireElapsed(start, ...args): fire (now - start, ...args) if start is not 0
 * and the probe is still enabled. */
static napi_value usdt_node_fire_elapsed(napi_env env, napi_callback_info info)
{
	napi_value argv[USDT_MAX_ARGS + 1];
	uint64_t start;
	bool lossless;
	struct usdt_node_probe *probe = usdt_node_fire_args(env, info, argv, 0);
	if (!probe)
		return NULL;
	if (probe->argc < 1 || napi_get_value_bigint_uint64(env, argv[0], &start,
							     &lossless) != napi_ok) {
		bool pending = false;
		napi_is_exception_pending(env, &pending);
		if (pending) {
			napi_value ignored;
			napi_get_and_clear_last_exception(env, &ignored);
		}
		napi_throw_type_error(env, NULL, "fireElapsed takes the BigInt from timestamp() "
				      "first, then the probe's other arguments");
		return NULL;
	}
	if (!start || !usdt_node_enabled_now(probe))
		return usdt_node_false(env);
	start = usdt_now_ns() - start;
	return usdt_node_fire_values(env, probe, &start, 1, argv + 1);
}

static napi_value usdt_node_probe_name(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	napi_value result;
	struct usdt_node_probe *probe = usdt_node_probe_of(env, info, &argc, NULL);
	if (!probe)
		return NULL;
	USDT_NODE_CHECK(env, napi_create_string_utf8(env, probe->name, NAPI_AUTO_LENGTH, &result));
	return result;
}

/* ---- The module ---- */

NAPI_MODULE_INIT()
{
	static const napi_property_descriptor provider_props[] = {
		{ "probe", NULL, usdt_node_probe_add, NULL, NULL, NULL, napi_default_method, NULL },
		{ "load", NULL, usdt_node_load, NULL, NULL, NULL, napi_default_method, NULL },
		{ "unload", NULL, usdt_node_unload, NULL, NULL, NULL, napi_default_method, NULL },
		{ "destroy", NULL, usdt_node_destroy, NULL, NULL, NULL, napi_default_method, NULL },
		{ "path", NULL, NULL, usdt_node_path, NULL, NULL, napi_enumerable, NULL },
	};
	napi_value provider, abi;

	if (usdt_abi_version() != USDT_ABI_VERSION) {
		napi_throw_error(env, NULL, "usdt: libusdt has another ABI version");
		return NULL;
	}
	USDT_NODE_CHECK(env, napi_define_class(env, "Provider", NAPI_AUTO_LENGTH,
					       usdt_node_provider_new, NULL,
					       sizeof provider_props / sizeof *provider_props,
					       provider_props, &provider));
	USDT_NODE_CHECK(env, napi_create_int32(env, usdt_abi_version(), &abi));
	USDT_NODE_CHECK(env, napi_set_named_property(env, exports, "Provider", provider));
	USDT_NODE_CHECK(env, napi_set_named_property(env, exports, "abiVersion", abi));
	return exports;
}
