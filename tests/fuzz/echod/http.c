/* http.c - libFuzzer harness for the metrics endpoint's request parser.
 *
 * Checks http_parse's promises on every input: a DONE head lies within
 * the input and HTTP_MAX_REQUEST, its method and target point inside it,
 * parsing exactly the head gives the same head, and a BAD one says why.
 * Seeds: tests/fuzz/echod/http.corpus.
 */
#include <stdint.h>
#include <stdlib.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct http_request r, again;
    enum http_result res = http_parse(buf, size, &r);

    if (res == HTTP_BAD && r.why == NULL)
        abort();
    if (res != HTTP_DONE)
        return 0;
    if (r.len > size || r.len > HTTP_MAX_REQUEST || r.method < buf ||
        r.method + r.method_len > buf + r.len || r.target < buf ||
        r.target + r.target_len > buf + r.len || r.target_len == 0 || r.target[0] != '/')
        abort();
    if (http_parse(buf, r.len, &again) != HTTP_DONE || again.len != r.len ||
        again.target_len != r.target_len)
        abort();
    (void)http_path_is(&r, "/metrics");
    (void)http_method_is(&r, "GET");
    return 0;
}
