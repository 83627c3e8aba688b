#include "datasource/ds_int.h"
int ds_json_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                        const ds_options *o, ds_reader **out)
{ (void)s;(void)schema;(void)proj;(void)nproj;(void)o;(void)out; return KILN_EINVAL; }
int ds_text_reader_open(const ds_split *s, const col_schema *schema, const int *proj, int nproj,
                        const ds_options *o, ds_reader **out)
{ (void)s;(void)schema;(void)proj;(void)nproj;(void)o;(void)out; return KILN_EINVAL; }
int ds_json_infer(const ds_split *s, int n, const ds_options *o, kiln_arena *a, col_schema *out)
{ (void)s;(void)n;(void)o;(void)a;(void)out; return KILN_EINVAL; }
int ds_json_writer_init(ds_writer *w, const ds_options *o) { (void)w;(void)o; return KILN_EINVAL; }
int ds_text_writer_init(ds_writer *w, const ds_options *o) { (void)w;(void)o; return KILN_EINVAL; }
