/*
 * fuzz_sse.c - the parser of Marathon's event stream (lib/sse.c), fed
 * the way a connection delivers it: the input cut into chunks of sizes the
 * input picks, each event parsed and observed by a deploy watch
 * (lib/deploy.c) of /product/web, as `roger deploy` does.
 *
 * Input: the first byte seeds the chunk sizes (1 to 64 bytes; 0 feeds the
 * rest in one piece), the rest is the stream.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/deploy.h"
#include "lib/err.h"
#include "lib/marathon.h"
#include "lib/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct watch {
	struct roger_deploy *deploy;
	int64_t now;
	size_t events;
};

static int on_event(void *data, const char *type, const char *json, size_t len,
		    struct roger_err *err)
{
	struct watch *w = data;
	struct roger_marathon_event *ev = NULL;

	(void)err;
	if (roger_marathon_event_parse(&ev, type, json, len, NULL) == 0) {
		(void)roger_marathon_event_affects(ev, "/product/web");
		(void)roger_deploy_observe_event(w->deploy, w->now, ev);
		roger_marathon_event_free(ev);
	}
	w->now += 1000;
	roger_deploy_tick(w->deploy, w->now);
	/* A watch stops reading once it decided; so does this one, sometimes.
	 */
	return ++w->events > 1000 ? ROGER_HTTP_STOP : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roger_deploy_goal goal = {
		.app_id = "/product/web",
		.deployment_id = "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43",
		.version = "2021-03-04T10:11:12.345Z",
		.instances = -1,
		.timeout_ms = 600000,
		.settle_ms = -1,
	};
	struct roger_sse sse;
	struct roger_buf text = ROGER_BUF_INIT;
	struct watch w = { NULL, 0, 0 };
	unsigned seed;
	size_t off = 1;

	if (size < 1 || roger_deploy_new(&w.deploy, &goal, NULL) < 0)
		return 0;
	seed = data[0];
	roger_sse_init(&sse);
	sse.max_event = 4096; /* so that the fuzzer reaches the limit */
	while (off < size) {
		size_t n = seed ? 1 + (seed + off * 7) % 64 : size - off;

		if (n > size - off)
			n = size - off;
		if (roger_sse_feed(&sse, (const char *)data + off, n, on_event,
				   &w, NULL) != 0)
			break;
		off += n;
	}
	roger_deploy_progress_text(&text, roger_deploy_status(w.deploy));
	json_decref(roger_deploy_status_json(roger_deploy_status(w.deploy)));
	for (size_t i = 0; i < roger_deploy_n_failures(w.deploy); i++)
		(void)roger_deploy_failure_at(w.deploy, i);
	roger_buf_release(&text);
	roger_sse_release(&sse);
	roger_deploy_free(w.deploy);
	return 0;
}
