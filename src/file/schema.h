/* schema.h — the Parquet schema as a tree, with per-leaf level information,
 * and its mapping to Arrow types.
 *
 * Built from the flat, depth-first list of SchemaElements in FileMetaData
 * (element 0 is the root). Used by the reader (Parquet -> Arrow) and by the
 * writer (which first converts an Arrow schema to SchemaElements, then builds
 * this same tree so both sides share one notion of levels). */
#ifndef PARQ_FILE_SCHEMA_H
#define PARQ_FILE_SCHEMA_H
#include <stdbool.h>
#include <stdint.h>

#include "format/metadata.h"
#include "util/arrow.h"

/* How a node maps to Arrow. */
typedef enum {
  PQ_NODE_PRIMITIVE,   /* a leaf column */
  PQ_NODE_STRUCT,      /* group without LIST/MAP semantics */
  PQ_NODE_LIST,        /* LIST-annotated group (3-level or legacy 2-level), or a bare
                          repeated field (repeated primitive / repeated group without
                          annotation) which is a required list of its element */
  PQ_NODE_MAP          /* MAP / MAP_KEY_VALUE-annotated group */
} pq_node_kind;

typedef struct pq_node pq_node;
struct pq_node {
  pq_node_kind kind;
  const pq_schema_element *elem;  /* the element this node stands for */
  const char *name;
  pq_node *parent;
  pq_node **children;             /* STRUCT: fields; LIST: 1 (element); MAP: 2 (key, value) */
  int n_children;
  /* Levels at this node: def_level = definition level reached when this node
   * is present (non-null); rep_level = repetition level of this node's own
   * values (number of repeated ancestors including itself). */
  int16_t def_level, rep_level;
  bool nullable;                  /* OPTIONAL (Arrow validity) */
  /* For LIST/MAP: def level at which the list is present but empty... i.e.
   * the repeated node's def level minus one; and the repeated node's levels. */
  int16_t rep_def_level;          /* def level when one element slot exists */
  int16_t list_rep_level;         /* rep level of the repeated node */
  int leaf_begin, leaf_end;       /* leaves [begin, end) under this node */
  /* Arrow type this node reads as (format string, owned by the schema arena). */
  const char *arrow_format;
  bool arrow_uuid, arrow_json;    /* extension metadata to attach */
};

typedef struct pq_leaf {
  const pq_schema_element *elem;
  pq_node *node;
  const char *path;               /* dotted path, e.g. "a.list.element" */
  const char **path_parts; int n_path_parts;
  int16_t max_def, max_rep;
  int32_t type;                   /* pq_type */
  int32_t type_length;            /* FLBA width */
} pq_leaf;

typedef struct pq_schema {
  parq_arena arena;
  pq_node *root;                  /* root group; its children are the top-level fields */
  pq_leaf *leaves; int n_leaves;
} pq_schema;

/* Build from SchemaElements (validates: counts, nesting depth <= 64, leaf
 * types, type_length for FLBA, repetition of the root). The elements must
 * outlive the schema. */
parq_status pq_schema_build(const pq_schema_element *elems, uint32_t n, pq_schema *out,
                            parq_error *err);
void pq_schema_free(pq_schema *s);

/* Find a node by dotted path of field names as written in the file ("a.b")
 * or by Arrow-style names (lists step through "list.element" implicitly).
 * NULL if absent. */
pq_node *pq_schema_find(const pq_schema *s, const char *dotted);

/* Arrow schema for a node (field) and for the whole (projected) root: the
 * top-level fields selected by `keep` (NULL = all). */
parq_status pq_schema_node_to_arrow(const pq_node *n, struct ArrowSchema *out, parq_error *err);

/* Writer side: convert an Arrow struct schema to SchemaElements (arena
 * allocated), following LogicalTypes.md: 3-level lists with "list"/"element",
 * maps with "key_value"/"key"/"value", logical + converted types set. */
parq_status pq_schema_from_arrow(const struct ArrowSchema *s, parq_arena *arena,
                                 pq_schema_element **out, uint32_t *n_out, parq_error *err);
#endif
