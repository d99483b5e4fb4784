/* proxy.c - libFuzzer harness for echod's PROXY protocol parser.
 *
 * Feeds every input to proxy_parse whole and as each of its prefixes a
 * header could be split at, and checks the parser's promises: a DONE
 * header is no longer than the input nor than PROXY_MAX_HEADER, parsing
 * the header alone gives the same result, a prefix of a DONE header is
 * MORE, and an INVALID one says why.  Seeds: tests/fuzz/echod/proxy.corpus.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proxy_header h, again;
    enum proxy_result r = proxy_parse(data, size, &h);

    if (r == PROXY_INVALID && h.why == NULL)
        abort();
    if (r != PROXY_DONE)
        return 0;
    if (h.len == 0 || h.len > size || h.len > PROXY_MAX_HEADER)
        abort();
    if (proxy_parse(data, h.len, &again) != PROXY_DONE || again.len != h.len ||
        again.local != h.local || memcmp(&again.src, &h.src, sizeof(h.src)) != 0)
        abort();
    for (size_t cut = 0; cut < h.len; cut++)
        if (proxy_parse(data, cut, &again) != PROXY_MORE)
            abort();
    return 0;
}
