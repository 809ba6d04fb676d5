/*
 * The wire: one libcurl easy handle per connection object, so that the
 * TCP/TLS connection to the master is kept alive between calls.
 */
#include <stdlib.h>
#include <string.h>

#include "xenapi_int.h"

struct body {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 nomem;
	int	 toolarge;
};

/*
 * A pool of 500 VMs answers with megabytes, but xmlrpc-c's tree of an
 * answer takes 15 times its size: 100 MB of VM records peaked at 1.5 GB
 * inside snmptrapd. Whatever xapi sends past this is refused as it comes.
 */
#define HTTP_MAX_MIB		32
#define HTTP_MAX_RESPONSE	((size_t)HTTP_MAX_MIB << 20)

static size_t
http_write(char *ptr, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = size * n, cap;
	char		*d;

	/* The length announced may be absent or a lie: count what comes. */
	if (len > HTTP_MAX_RESPONSE - b->len) {
		b->toolarge = 1;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 16384;
		while (cap < b->len + len + 1)
			cap *= 2;
		if (cap > HTTP_MAX_RESPONSE + 1)
			cap = HTTP_MAX_RESPONSE + 1;
		if ((d = realloc(b->data, cap)) == NULL) {
			b->nomem = 1;
			return 0;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static int
http_tls(struct xenapi *x)
{
	CURL	*c = x->curl;
	int	 rc = 0;

	rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER,
	    x->cfg.verify ? 1L : 0L);
	rc |= curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST,
	    x->cfg.verify && x->cfg.verify_name ? 2L : 0L);
	if (x->ca_file)
		rc |= curl_easy_setopt(c, CURLOPT_CAINFO, x->ca_file);
	/* A pin is checked whether or not the chain is. */
	if (x->pins)
		rc |= curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, x->pins);
	return rc;
}

int
http_open(struct xenapi *x)
{
	CURL	*c;
	int	 rc = 0;

	if ((c = x->curl = curl_easy_init()) == NULL ||
	    (x->multi = curl_multi_init()) == NULL)
		return -1;
	x->headers = curl_slist_append(NULL, "Content-Type: text/xml");
	if (x->headers == NULL)
		return -1;
	rc |= curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
	rc |= curl_easy_setopt(c, CURLOPT_USERAGENT, "upsxen");
	rc |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
	/* An announced length past the cap is refused before the body. */
	rc |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)HTTP_MAX_RESPONSE);
	rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->curl_err);
	rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, x->cfg.timeout_ms);
	rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    x->cfg.connect_timeout_ms);
	/* xapi has no business redirecting us: never follow. */
	rc |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
	    x->https ? "https" : "http");
	rc |= http_tls(x);
	return rc == CURLE_OK ? 0 : -1;
}

void
http_close(struct xenapi *x)
{
	if (x->multi)
		curl_multi_cleanup(x->multi);
	if (x->curl)
		curl_easy_cleanup(x->curl);
	x->multi = NULL;
	curl_slist_free_all(x->headers);
	x->curl = NULL;
	x->headers = NULL;
}

static enum xenapi_err_kind
curl_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return XENAPI_ERR_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
		return XENAPI_ERR_TLS;
	default:
		return XENAPI_ERR_TRANSPORT;
	}
}

static void
warn_if_unverified(struct xenapi *x)
{
	long	 connects = 0;
	char	 msg[512];

	if (!x->https || x->cfg.verify || x->log == NULL)
		return;
	curl_easy_getinfo(x->curl, CURLINFO_NUM_CONNECTS, &connects);
	if (connects == 0)
		return;
	snprintf(msg, sizeof(msg), "connected to %s without checking its "
	    "certificate (tls.verify is false)", x->url);
	x->log(x->log_arg, msg);
}

/*
 * One transfer on the multi handle: like curl_easy_perform, but
 * xenapi_wakeup() from another thread ends the wait at once when the
 * abort flag is up. The easy handle keeps its connection alive.
 */
static CURLcode
http_perform(struct xenapi *x)
{
	CURLMsg		*msg;
	CURLcode	 rc = CURLE_OK;
	int		 running = 1, left;

	if (curl_multi_add_handle(x->multi, x->curl) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (running) {
		if (curl_multi_perform(x->multi, &running) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
		if (!running)
			break;
		if (x->abort != NULL && *x->abort) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		curl_multi_poll(x->multi, NULL, 0, 1000, NULL);
	}
	while (running == 0 && (msg = curl_multi_info_read(x->multi,
	    &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	curl_multi_remove_handle(x->multi, x->curl);
	return rc;
}

void
xenapi_wakeup(struct xenapi *x)
{
	if (x && x->multi)
		curl_multi_wakeup(x->multi);
}

int
http_post(struct xenapi *x, const char *req, size_t len, char **resp,
    size_t *resplen, struct xenapi_error *err)
{
	struct body	 b = { 0 };
	CURLcode	 rc;
	long		 status = 0;

	x->curl_err[0] = '\0';
	curl_easy_setopt(x->curl, CURLOPT_URL, x->url);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, &b);
	rc = http_perform(x);
	x->calls++;
	if (rc == CURLE_FILESIZE_EXCEEDED || (rc != CURLE_OK && b.toolarge)) {
		xerr(err, XENAPI_ERR_PROTOCOL, "XenAPI answer from %s exceeds "
		    "%d MiB", x->url, HTTP_MAX_MIB);
		free(b.data);
		return -1;
	}
	if (rc != CURLE_OK) {
		xerr(err, b.nomem ? XENAPI_ERR_PROTOCOL : curl_kind(rc),
		    "%s: %s", x->url, b.nomem ? "out of memory for the answer" :
		    x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc));
		free(b.data);
		return -1;
	}
	warn_if_unverified(x);
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		xerr(err, XENAPI_ERR_TRANSPORT, "%s: HTTP status %ld", x->url,
		    status);
		free(b.data);
		return -1;
	}
	*resp = b.data;
	*resplen = b.len;
	return 0;
}
