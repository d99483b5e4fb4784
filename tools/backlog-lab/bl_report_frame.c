/* bl_report_frame.c - the frame every experiment's report shares (see
 * bl_report.h): its JSON document opens with the experiment's name and
 * closes with the explanation, and its text ends with the explanation
 * under "What this run shows:". */
#include "bl_report.h"

void bl_report_json_begin(struct json *j, FILE *f, const char *experiment)
{
    json_init(j, f, JSON_PRETTY);
    json_object(j, NULL);
    json_string(j, "experiment", experiment);
}

void bl_report_json_end(struct json *j, const struct bl_text *t)
{
    bl_text_json(t, j, "explanation");
    json_end_object(j);
}

void bl_report_text_end(FILE *f, const struct bl_text *t)
{
    fprintf(f, "\nWhat this run shows:\n");
    bl_text_print(t, f);
}
