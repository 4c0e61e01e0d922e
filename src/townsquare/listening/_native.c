/* The matcher's compiled core: the same index and checks as matcher.py, in C.
 *
 * matcher.py decides everything about a query (its anchor keys and what a candidate must still pass)
 * and hands this module the result; this module only stores it and runs it. It holds the queries made of
 * words, phrases, trailing-* wildcards, AND, OR, NOT and NEAR; the others stay in Python.
 *
 * A post is a sequence of folded tokens. Tokens that occur in some stored query get a small integer id,
 * so that "does the post hold this word" is one array read, and a phrase walks a chain of positions.
 * Memory comes from PyMem_*, so tracemalloc counts it like the Python matcher's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---- a byte string -> int table (open addressing; keys are copied into a pool) ---- */

typedef struct {
    uint64_t hash;
    Py_ssize_t offset;
    Py_ssize_t length;
    int32_t value; /* -1: empty cell */
} Cell;

typedef struct {
    Cell *cells;
    size_t capacity; /* a power of two, or 0 */
    size_t used;
    char *pool;
    size_t pool_used, pool_capacity;
} Table;

static uint64_t hash_bytes(const char *s, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int32_t table_get(const Table *t, const char *s, Py_ssize_t n, uint64_t h) {
    if (!t->capacity) return -1;
    size_t mask = t->capacity - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const Cell *c = &t->cells[i];
        if (c->value < 0) return -1;
        if (c->hash == h && c->length == n && memcmp(t->pool + c->offset, s, n) == 0) return c->value;
    }
}

static int table_grow(Table *t) {
    size_t capacity = t->capacity ? t->capacity * 2 : 64;
    Cell *cells = PyMem_Malloc(capacity * sizeof(Cell));
    if (!cells) return -1;
    for (size_t i = 0; i < capacity; i++) cells[i].value = -1;
    for (size_t j = 0; j < t->capacity; j++) {
        Cell *old = &t->cells[j];
        if (old->value < 0) continue;
        size_t i = old->hash & (capacity - 1);
        while (cells[i].value >= 0) i = (i + 1) & (capacity - 1);
        cells[i] = *old;
    }
    PyMem_Free(t->cells);
    t->cells = cells;
    t->capacity = capacity;
    return 0;
}

/* Store a new key (the caller checked it is absent). */
static int table_put(Table *t, const char *s, Py_ssize_t n, uint64_t h, int32_t value) {
    if ((t->used + 1) * 2 > t->capacity && table_grow(t) < 0) return -1;
    if (t->pool_used + n > t->pool_capacity) {
        size_t capacity = t->pool_capacity ? t->pool_capacity : 1024;
        while (t->pool_used + n > capacity) capacity *= 2;
        char *pool = PyMem_Realloc(t->pool, capacity);
        if (!pool) return -1;
        t->pool = pool;
        t->pool_capacity = capacity;
    }
    memcpy(t->pool + t->pool_used, s, n);
    size_t mask = t->capacity - 1, i = h & mask;
    while (t->cells[i].value >= 0) i = (i + 1) & mask;
    t->cells[i] = (Cell){h, (Py_ssize_t)t->pool_used, n, value};
    t->pool_used += n;
    t->used++;
    return 0;
}

static void table_free(Table *t) {
    PyMem_Free(t->cells);
    PyMem_Free(t->pool);
    memset(t, 0, sizeof(*t));
}

/* ---- compiled checks ---- */

enum { N_TERM, N_PHRASE, N_PREFIX, N_AND, N_OR, N_NOT, N_NEAR };

typedef struct Node {
    int kind;
    int count;           /* tokens of a phrase, children of AND/OR/NOT/NEAR */
    int32_t *ids;        /* TERM: one token id; PHRASE: `count` ids */
    char *prefix;        /* PREFIX: the folded bytes before the * */
    Py_ssize_t prefix_length;
    struct Node **children;
    int distance, ordered; /* NEAR */
} Node;

static void node_free(Node *node) {
    if (!node) return;
    for (int i = 0; node->children && i < node->count; i++) node_free(node->children[i]);
    PyMem_Free(node->children);
    PyMem_Free(node->ids);
    PyMem_Free(node->prefix);
    PyMem_Free(node);
}

/* ---- the index ---- */

#define PREFIX_BYTES 16 /* longest prefix key in bytes (3 characters of 4 bytes fit) */

typedef struct {
    int32_t *queries; /* query numbers filed under this key */
    int count, capacity;
    uint32_t seen;    /* the post generation that last ran this slot */
} Slot;

typedef struct {
    PyObject *id;     /* the caller's query id; NULL for a free number */
    Node *rest;       /* what a candidate must still pass; NULL: the key proves the match */
    int32_t *slots;   /* slot numbers it is filed under */
    int slot_count;
} Query;

typedef struct {
    int32_t start, length;
} Instance;

typedef struct {
    PyObject_HEAD
    Table vocabulary; /* token bytes -> token id */
    Table pairs;      /* two token ids -> slot number */
    Table prefixes;   /* prefix bytes -> slot number */
    int32_t *token_slot; /* token id -> slot number, or -1 */
    uint32_t *mark;   /* token id -> generation of the last post holding it */
    int32_t *first;   /* token id -> its first position in that post */
    int32_t tokens, token_capacity;
    Slot *slots;
    int32_t slot_count, slot_capacity;
    int prefix_use[PREFIX_BYTES + 1]; /* prefix keys stored, by length in bytes */
    Query *queries;
    uint32_t *query_seen; /* query number -> generation of the last post it matched */
    int32_t query_count, query_capacity, live;
    int32_t *free_numbers; /* numbers of removed queries, for reuse */
    int32_t free_count, free_capacity;
    /* the post being matched */
    uint32_t generation;
    int32_t post_length, post_capacity;
    int32_t *post_id, *post_next, *post_tokens_length;
    const char **post_token;
    char *lowered;
    Py_ssize_t lowered_capacity;
    Instance *instances;
    Py_ssize_t instance_count, instance_capacity;
    int busy; /* a match is running */
} Index;

static int grow(void **array, int32_t *capacity, int32_t needed, size_t item) {
    if (needed <= *capacity) return 0;
    int32_t c = *capacity ? *capacity : 16;
    while (c < needed) c *= 2;
    void *grown = PyMem_Realloc(*array, (size_t)c * item);
    if (!grown) return -1;
    *array = grown;
    *capacity = c;
    return 0;
}

/* The id of a token, adding it to the vocabulary when `add` is set; -1 when absent (or on error, with
 * an exception set, only when adding). */
static int32_t token_id(Index *self, const char *s, Py_ssize_t n, int add) {
    uint64_t h = hash_bytes(s, n);
    int32_t id = table_get(&self->vocabulary, s, n, h);
    if (id >= 0 || !add) return id;
    id = self->tokens;
    int32_t capacity = self->token_capacity;
    if (id >= capacity) {
        int32_t c = capacity;
        if (grow((void **)&self->token_slot, &c, id + 1, sizeof(int32_t)) < 0) goto nomemory;
        c = capacity;
        if (grow((void **)&self->mark, &c, id + 1, sizeof(uint32_t)) < 0) goto nomemory;
        c = capacity;
        if (grow((void **)&self->first, &c, id + 1, sizeof(int32_t)) < 0) goto nomemory;
        self->token_capacity = c;
    }
    if (table_put(&self->vocabulary, s, n, h, id) < 0) goto nomemory;
    self->token_slot[id] = -1;
    self->mark[id] = 0;
    self->tokens++;
    return id;
nomemory:
    PyErr_NoMemory();
    return -2;
}

static int32_t token_id_of(Index *self, PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (!s) return -2;
    return token_id(self, s, n, 1);
}

/* ---- reading what matcher.py hands over ---- */

/* A check is a tuple: (0, token) a word; (1, tokens) a phrase; (2, prefix) a trailing-* wildcard;
 * (3, children) AND; (4, children) OR; (5, child) NOT; (6, operands, distance, ordered) NEAR. */
static Node *node_read(Index *self, PyObject *spec) {
    if (!PyTuple_Check(spec) || PyTuple_GET_SIZE(spec) < 2) {
        PyErr_SetString(PyExc_TypeError, "a compiled check is a tuple (kind, ...)");
        return NULL;
    }
    Node *node = PyMem_Calloc(1, sizeof(Node));
    if (!node) return (Node *)PyErr_NoMemory();
    node->kind = (int)PyLong_AsLong(PyTuple_GET_ITEM(spec, 0));
    PyObject *arg = PyTuple_GET_ITEM(spec, 1);
    switch (node->kind) {
    case N_TERM:
        node->count = 1;
        if (!(node->ids = PyMem_Malloc(sizeof(int32_t)))) goto nomemory;
        if ((node->ids[0] = token_id_of(self, arg)) < 0) goto fail;
        return node;
    case N_PHRASE:
        if (!PyTuple_Check(arg) || PyTuple_GET_SIZE(arg) < 1) goto badtype;
        node->count = (int)PyTuple_GET_SIZE(arg);
        if (!(node->ids = PyMem_Malloc(node->count * sizeof(int32_t)))) goto nomemory;
        for (int i = 0; i < node->count; i++)
            if ((node->ids[i] = token_id_of(self, PyTuple_GET_ITEM(arg, i))) < 0) goto fail;
        return node;
    case N_PREFIX: {
        const char *s = PyUnicode_AsUTF8AndSize(arg, &node->prefix_length);
        if (!s) goto fail;
        if (!(node->prefix = PyMem_Malloc(node->prefix_length + 1))) goto nomemory;
        memcpy(node->prefix, s, node->prefix_length);
        return node;
    }
    case N_NOT:
        node->count = 1;
        if (!(node->children = PyMem_Calloc(1, sizeof(Node *)))) goto nomemory;
        if (!(node->children[0] = node_read(self, arg))) goto fail;
        return node;
    case N_AND:
    case N_OR:
    case N_NEAR:
        if (!PyTuple_Check(arg) || PyTuple_GET_SIZE(arg) < 1) goto badtype;
        node->count = (int)PyTuple_GET_SIZE(arg);
        if (!(node->children = PyMem_Calloc(node->count, sizeof(Node *)))) goto nomemory;
        for (int i = 0; i < node->count; i++)
            if (!(node->children[i] = node_read(self, PyTuple_GET_ITEM(arg, i)))) goto fail;
        if (node->kind == N_NEAR) {
            if (PyTuple_GET_SIZE(spec) != 4) goto badtype;
            node->distance = (int)PyLong_AsLong(PyTuple_GET_ITEM(spec, 2));
            node->ordered = PyObject_IsTrue(PyTuple_GET_ITEM(spec, 3));
            if (PyErr_Occurred()) goto fail;
        }
        return node;
    }
badtype:
    PyErr_SetString(PyExc_TypeError, "not a compiled check");
    goto fail;
nomemory:
    PyErr_NoMemory();
fail:
    node_free(node);
    return NULL;
}

/* The slot number for an anchor key (kind 0: a token; 1: a pair of tokens; 2: a prefix), made if new. */
static int32_t slot_for(Index *self, PyObject *key) {
    if (!PyTuple_Check(key) || PyTuple_GET_SIZE(key) != 2) {
        PyErr_SetString(PyExc_TypeError, "an anchor key is (kind, value)");
        return -1;
    }
    long kind = PyLong_AsLong(PyTuple_GET_ITEM(key, 0));
    PyObject *value = PyTuple_GET_ITEM(key, 1);
    int32_t *where = NULL, found;
    Table *table = NULL;
    const char *bytes = NULL;
    Py_ssize_t length = 0;
    int32_t pair[2];
    if (kind == 0) {
        int32_t id = token_id_of(self, value);
        if (id < 0) return -1;
        where = &self->token_slot[id];
        found = *where;
    } else if (kind == 1) {
        if (!PyTuple_Check(value) || PyTuple_GET_SIZE(value) != 2) {
            PyErr_SetString(PyExc_TypeError, "a pair key is two tokens");
            return -1;
        }
        for (int i = 0; i < 2; i++)
            if ((pair[i] = token_id_of(self, PyTuple_GET_ITEM(value, i))) < 0) return -1;
        table = &self->pairs;
        bytes = (const char *)pair;
        length = sizeof(pair);
    } else if (kind == 2) {
        if (!(bytes = PyUnicode_AsUTF8AndSize(value, &length))) return -1;
        if (length < 1 || length > PREFIX_BYTES) {
            PyErr_SetString(PyExc_ValueError, "a prefix key has 1 to 16 bytes");
            return -1;
        }
        table = &self->prefixes;
    } else {
        PyErr_SetString(PyExc_ValueError, "an anchor key's kind is 0, 1 or 2");
        return -1;
    }
    uint64_t h = 0;
    if (table) {
        h = hash_bytes(bytes, length);
        found = table_get(table, bytes, length, h);
    }
    if (found >= 0) return found;
    int32_t number = self->slot_count;
    if (grow((void **)&self->slots, &self->slot_capacity, number + 1, sizeof(Slot)) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (table && table_put(table, bytes, length, h, number) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (where) *where = number;
    if (kind == 2) self->prefix_use[length]++;
    self->slots[number] = (Slot){NULL, 0, 0, 0};
    self->slot_count++;
    return number;
}

static void query_clear(Index *self, int32_t number) {
    Query *q = &self->queries[number];
    for (int i = 0; i < q->slot_count; i++) {
        Slot *slot = &self->slots[q->slots[i]];
        for (int j = 0; j < slot->count; j++) {
            if (slot->queries[j] == number) {
                slot->queries[j] = slot->queries[--slot->count];
                break;
            }
        }
    }
    PyMem_Free(q->slots);
    node_free(q->rest);
    Py_CLEAR(q->id);
    *q = (Query){NULL, NULL, NULL, 0};
}

PyDoc_STRVAR(add_doc, "add(query_id, keys, rest) -> number\n\n"
             "File a query under its anchor keys ((kind, value) pairs) with what a candidate must still pass "
             "(a compiled check, or None). The number is what remove() takes.");

static PyObject *Index_add(Index *self, PyObject *args) {
    PyObject *id, *keys, *rest;
    if (!PyArg_ParseTuple(args, "OOO", &id, &keys, &rest)) return NULL;
    if (self->busy) return PyErr_Format(PyExc_RuntimeError, "this Index is matching a post");
    PyObject *sequence = PySequence_Fast(keys, "keys must be a sequence");
    if (!sequence) return NULL;
    Py_ssize_t key_count = PySequence_Fast_GET_SIZE(sequence);
    int32_t number;
    if (self->free_count) {
        number = self->free_numbers[--self->free_count];
    } else {
        number = self->query_count;
        int32_t capacity = self->query_capacity;
        if (grow((void **)&self->queries, &self->query_capacity, number + 1, sizeof(Query)) < 0 ||
            grow((void **)&self->query_seen, &capacity, number + 1, sizeof(uint32_t)) < 0) {
            Py_DECREF(sequence);
            return PyErr_NoMemory();
        }
        self->query_count++;
    }
    Query *q = &self->queries[number];
    *q = (Query){NULL, NULL, NULL, 0};
    self->query_seen[number] = 0;
    if (rest != Py_None && !(q->rest = node_read(self, rest))) goto fail;
    if (!(q->slots = PyMem_Malloc((key_count ? key_count : 1) * sizeof(int32_t)))) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < key_count; i++) {
        int32_t slot_number = slot_for(self, PySequence_Fast_GET_ITEM(sequence, i));
        if (slot_number < 0) goto fail;
        Slot *slot = &self->slots[slot_number];
        if (grow((void **)&slot->queries, &slot->capacity, slot->count + 1, sizeof(int32_t)) < 0) {
            PyErr_NoMemory();
            goto fail;
        }
        slot->queries[slot->count++] = number;
        q->slots[q->slot_count++] = slot_number;
    }
    Py_INCREF(id);
    q->id = id;
    self->live++;
    Py_DECREF(sequence);
    return PyLong_FromLong(number);
fail:
    Py_DECREF(sequence);
    query_clear(self, number);
    if (grow((void **)&self->free_numbers, &self->free_capacity, self->free_count + 1, sizeof(int32_t)) == 0)
        self->free_numbers[self->free_count++] = number;
    return NULL;
}

static PyObject *Index_remove(Index *self, PyObject *arg) {
    if (self->busy) return PyErr_Format(PyExc_RuntimeError, "this Index is matching a post");
    long number = PyLong_AsLong(arg);
    if (number == -1 && PyErr_Occurred()) return NULL;
    if (number < 0 || number >= self->query_count || !self->queries[number].id) {
        PyErr_SetString(PyExc_KeyError, "no query with this number");
        return NULL;
    }
    if (grow((void **)&self->free_numbers, &self->free_capacity, self->free_count + 1, sizeof(int32_t)) < 0)
        return PyErr_NoMemory();
    query_clear(self, (int32_t)number);
    self->free_numbers[self->free_count++] = (int32_t)number;
    self->live--;
    Py_RETURN_NONE;
}

/* ---- the post ---- */

static unsigned char LOWER[256];
static unsigned char WORD[256]; /* ASCII letters and digits */

static int post_reserve(Index *self, Py_ssize_t n) {
    if (n > INT32_MAX / 2) {
        PyErr_SetString(PyExc_ValueError, "post too long");
        return -1;
    }
    if (n <= self->post_capacity) return 0;
    int32_t c = self->post_capacity;
    if (grow((void **)&self->post_id, &c, (int32_t)n, sizeof(int32_t)) < 0) goto nomemory;
    c = self->post_capacity;
    if (grow((void **)&self->post_next, &c, (int32_t)n, sizeof(int32_t)) < 0) goto nomemory;
    c = self->post_capacity;
    if (grow((void **)&self->post_tokens_length, &c, (int32_t)n, sizeof(int32_t)) < 0) goto nomemory;
    c = self->post_capacity;
    if (grow((void **)&self->post_token, &c, (int32_t)n, sizeof(char *)) < 0) goto nomemory;
    self->post_capacity = c;
    return 0;
nomemory:
    PyErr_NoMemory();
    return -1;
}

/* Split ASCII text into lower-cased runs of letters and digits (as matcher.py's ASCII path does). */
static int post_from_ascii(Index *self, PyObject *text) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const unsigned char *s = PyUnicode_1BYTE_DATA(text);
    if (n + 1 > self->lowered_capacity) {
        char *lowered = PyMem_Realloc(self->lowered, n + 1);
        if (!lowered) {
            PyErr_NoMemory();
            return -1;
        }
        self->lowered = lowered;
        self->lowered_capacity = n + 1;
    }
    if (post_reserve(self, n / 2 + 1) < 0) return -1; /* at most one token per two characters */
    char *out = self->lowered;
    int32_t count = 0;
    for (Py_ssize_t i = 0; i < n;) {
        if (!WORD[s[i]]) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < n && WORD[s[i]]) {
            out[i] = (char)LOWER[s[i]];
            i++;
        }
        self->post_token[count] = out + start;
        self->post_tokens_length[count] = (int32_t)(i - start);
        self->post_id[count] = token_id(self, out + start, i - start, 0);
        count++;
    }
    self->post_length = count;
    return 0;
}

/* Folded tokens given by Python (text that is not ASCII). */
static int post_from_tokens(Index *self, PyObject *sequence) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(sequence);
    if (post_reserve(self, n) < 0) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(sequence, i);
        Py_ssize_t length;
        const char *s = PyUnicode_Check(item) ? PyUnicode_AsUTF8AndSize(item, &length) : NULL;
        if (!s) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "tokens must be strings");
            return -1;
        }
        self->post_token[i] = s;
        self->post_tokens_length[i] = (int32_t)length;
        self->post_id[i] = token_id(self, s, length, 0);
    }
    self->post_length = (int32_t)n;
    return 0;
}

/* Mark the post's known tokens and chain each one's positions (first[id], then next[position]). */
static void post_index(Index *self) {
    if (++self->generation == 0) { /* wrapped: forget every old mark */
        memset(self->mark, 0, (size_t)self->tokens * sizeof(uint32_t));
        memset(self->query_seen, 0, (size_t)self->query_count * sizeof(uint32_t));
        for (int32_t i = 0; i < self->slot_count; i++) self->slots[i].seen = 0;
        self->generation = 1;
    }
    uint32_t g = self->generation;
    for (int32_t i = self->post_length - 1; i >= 0; i--) {
        int32_t id = self->post_id[i];
        if (id < 0) continue;
        self->post_next[i] = self->mark[id] == g ? self->first[id] : -1;
        self->mark[id] = g;
        self->first[id] = i;
    }
}

/* ---- checks ---- */

static int has(const Index *self, int32_t id) { return self->mark[id] == self->generation; }

static int phrase_at(const Index *self, const Node *node, int32_t start) {
    if (start + node->count > self->post_length) return 0;
    for (int j = 1; j < node->count; j++)
        if (self->post_id[start + j] != node->ids[j]) return 0;
    return 1;
}

static int prefix_at(const Index *self, const Node *node, int32_t i) {
    return self->post_tokens_length[i] >= node->prefix_length &&
           memcmp(self->post_token[i], node->prefix, node->prefix_length) == 0;
}

static int add_instance(Index *self, int32_t start, int32_t length) {
    if (self->instance_count == self->instance_capacity) {
        Py_ssize_t c = self->instance_capacity ? self->instance_capacity * 2 : 64;
        Instance *grown = PyMem_Realloc(self->instances, c * sizeof(Instance));
        if (!grown) return -1;
        self->instances = grown;
        self->instance_capacity = c;
    }
    self->instances[self->instance_count++] = (Instance){start, length};
    return 0;
}

/* Append where a NEAR operand occurs (start, length); -1 on memory error. */
static int instances_of(Index *self, const Node *node) {
    switch (node->kind) {
    case N_TERM:
    case N_PHRASE:
        if (!has(self, node->ids[0])) return 0;
        for (int32_t p = self->first[node->ids[0]]; p >= 0; p = self->post_next[p])
            if (phrase_at(self, node, p) && add_instance(self, p, node->count) < 0) return -1;
        return 0;
    case N_PREFIX:
        for (int32_t i = 0; i < self->post_length; i++)
            if (prefix_at(self, node, i) && add_instance(self, i, 1) < 0) return -1;
        return 0;
    case N_OR:
        for (int i = 0; i < node->count; i++)
            if (instances_of(self, node->children[i]) < 0) return -1;
        return 0;
    }
    return 0;
}

static int near(Index *self, const Node *node) {
    /* Each operand's instances, one run after another in self->instances. */
    Py_ssize_t bounds[node->count + 1];
    self->instance_count = 0;
    for (int k = 0; k < node->count; k++) {
        bounds[k] = self->instance_count;
        if (instances_of(self, node->children[k]) < 0) return -1;
        if (self->instance_count == bounds[k]) return 0;
    }
    bounds[node->count] = self->instance_count;
    const Instance *all = self->instances;
    int32_t distance = node->distance;
    if (node->ordered) { /* the second operand starts 0..distance tokens after the first ends */
        for (Py_ssize_t a = bounds[0]; a < bounds[1]; a++) {
            int32_t end = all[a].start + all[a].length;
            for (Py_ssize_t b = bounds[1]; b < bounds[2]; b++)
                if (end <= all[b].start && all[b].start <= end + distance) return 1;
        }
        return 0;
    }
    /* Some instance is the last to start (at m); every operand needs one starting in
     * [m - its length - distance, m]. */
    for (Py_ssize_t a = 0; a < bounds[node->count]; a++) {
        int32_t m = all[a].start;
        int every = 1;
        for (int k = 0; k < node->count && every; k++) {
            int some = 0;
            for (Py_ssize_t i = bounds[k]; i < bounds[k + 1] && !some; i++)
                some = m - all[i].length - distance <= all[i].start && all[i].start <= m;
            every = some;
        }
        if (every) return 1;
    }
    return 0;
}

/* 1 when the post passes `node`, 0 when not, -1 on memory error. */
static int check(Index *self, const Node *node) {
    switch (node->kind) {
    case N_TERM:
        return has(self, node->ids[0]);
    case N_PHRASE:
        for (int j = 0; j < node->count; j++)
            if (!has(self, node->ids[j])) return 0;
        for (int32_t p = self->first[node->ids[0]]; p >= 0; p = self->post_next[p])
            if (phrase_at(self, node, p)) return 1;
        return 0;
    case N_PREFIX:
        for (int32_t i = 0; i < self->post_length; i++)
            if (prefix_at(self, node, i)) return 1;
        return 0;
    case N_AND:
        for (int i = 0; i < node->count; i++) {
            int r = check(self, node->children[i]);
            if (r != 1) return r;
        }
        return 1;
    case N_OR:
        for (int i = 0; i < node->count; i++) {
            int r = check(self, node->children[i]);
            if (r != 0) return r;
        }
        return 0;
    case N_NOT: {
        int r = check(self, node->children[0]);
        return r < 0 ? r : !r;
    }
    case N_NEAR:
        return near(self, node);
    }
    return 0;
}

/* Add to the set `out` the ids of the slot's queries the post matches. */
static int run_slot(Index *self, int32_t number, PyObject *out) {
    Slot *slot = &self->slots[number];
    uint32_t g = self->generation;
    if (slot->seen == g) return 0;
    slot->seen = g;
    for (int i = 0; i < slot->count; i++) {
        int32_t q = slot->queries[i];
        if (self->query_seen[q] == g) continue;
        Query *query = &self->queries[q];
        if (query->rest) {
            int r = check(self, query->rest);
            if (r < 0) {
                PyErr_NoMemory();
                return -1;
            }
            if (!r) continue;
        }
        self->query_seen[q] = g;
        if (PySet_Add(out, query->id) < 0) return -1;
    }
    return 0;
}

static PyObject *match_post(Index *self, PyObject *out) {
    post_index(self);
    int32_t n = self->post_length;
    for (int32_t i = 0; i < n; i++) { /* each distinct known token once: at its first position */
        int32_t id = self->post_id[i];
        if (id >= 0 && self->first[id] == i && self->token_slot[id] >= 0 &&
            run_slot(self, self->token_slot[id], out) < 0)
            goto fail;
    }
    if (self->pairs.used) {
        for (int32_t i = 0; i + 1 < n; i++) {
            int32_t pair[2] = {self->post_id[i], self->post_id[i + 1]};
            if (pair[0] < 0 || pair[1] < 0) continue;
            int32_t number = table_get(&self->pairs, (const char *)pair, sizeof(pair),
                                       hash_bytes((const char *)pair, sizeof(pair)));
            if (number >= 0 && run_slot(self, number, out) < 0) goto fail;
        }
    }
    for (int length = 1; length <= PREFIX_BYTES; length++) {
        if (!self->prefix_use[length]) continue;
        for (int32_t i = 0; i < n; i++) {
            if (self->post_tokens_length[i] < length) continue;
            const char *s = self->post_token[i];
            int32_t number = table_get(&self->prefixes, s, length, hash_bytes(s, length));
            if (number >= 0 && run_slot(self, number, out) < 0) goto fail;
        }
    }
    return out;
fail:
    return NULL;
}

/* The post's buffers are shared by every call: refuse a second one while one runs (a thread switch
 * inside a query id's __hash__, say), rather than mix two posts. */
static int enter(Index *self) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this Index is matching another post; use one per thread");
        return -1;
    }
    self->busy = 1;
    return 0;
}

PyDoc_STRVAR(match_text_doc, "match_text(text) -> set\n\n"
             "The ids of the stored queries that ASCII text (links already removed) matches.");

static PyObject *Index_match_text(Index *self, PyObject *text) {
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text)) {
        PyErr_SetString(PyExc_ValueError, "match_text takes ASCII text; give other text's tokens to match_tokens");
        return NULL;
    }
    PyObject *out = PySet_New(NULL); /* before the post is read: allocating may run other threads */
    if (!out || enter(self) < 0) {
        Py_XDECREF(out);
        return NULL;
    }
    PyObject *result = post_from_ascii(self, text) < 0 ? NULL : match_post(self, out);
    self->busy = 0;
    if (!result) Py_DECREF(out);
    return result;
}

PyDoc_STRVAR(match_tokens_doc, "match_tokens(tokens) -> set\n\n"
             "The ids of the stored queries that a post with these folded tokens (in order) matches.");

static PyObject *Index_match_tokens(Index *self, PyObject *tokens) {
    PyObject *sequence = PySequence_Fast(tokens, "tokens must be a sequence");
    if (!sequence) return NULL;
    PyObject *out = PySet_New(NULL);
    if (!out || enter(self) < 0) {
        Py_XDECREF(out);
        Py_DECREF(sequence);
        return NULL;
    }
    PyObject *result = post_from_tokens(self, sequence) < 0 ? NULL : match_post(self, out);
    self->busy = 0;
    if (!result) Py_DECREF(out);
    Py_DECREF(sequence);
    return result;
}

static Py_ssize_t Index_len(Index *self) { return self->live; }

static int Index_init(Index *self, PyObject *args, PyObject *kwargs) {
    (void)self; /* nothing to set: tp_new zeroes the index */
    static char *names[] = {NULL};
    return PyArg_ParseTupleAndKeywords(args, kwargs, ":Index", names) ? 0 : -1;
}

static void Index_dealloc(Index *self) {
    for (int32_t i = 0; i < self->query_count; i++) {
        Query *q = &self->queries[i];
        PyMem_Free(q->slots);
        node_free(q->rest);
        Py_XDECREF(q->id);
    }
    for (int32_t i = 0; i < self->slot_count; i++) PyMem_Free(self->slots[i].queries);
    table_free(&self->vocabulary);
    table_free(&self->pairs);
    table_free(&self->prefixes);
    void *arrays[] = {self->token_slot, self->mark, self->first, self->slots, self->queries,
                      self->query_seen, self->free_numbers, self->post_id, self->post_next,
                      self->post_tokens_length, (void *)self->post_token, self->lowered, self->instances};
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) PyMem_Free(arrays[i]);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Index_methods[] = {
    {"add", (PyCFunction)Index_add, METH_VARARGS, add_doc},
    {"remove", (PyCFunction)Index_remove, METH_O, "remove(number): forget a query added under that number."},
    {"match_text", (PyCFunction)Index_match_text, METH_O, match_text_doc},
    {"match_tokens", (PyCFunction)Index_match_tokens, METH_O, match_tokens_doc},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods Index_as_sequence = {.sq_length = (lenfunc)Index_len};

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "townsquare.listening._native.Index",
    .tp_doc = PyDoc_STR("Stored queries filed under their anchor keys, matched against one post at a time "
                        "(by one thread at a time: callers share a matcher under a lock)."),
    .tp_basicsize = sizeof(Index),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Index_init,
    .tp_dealloc = (destructor)Index_dealloc,
    .tp_methods = Index_methods,
    .tp_as_sequence = &Index_as_sequence,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_native",
    .m_doc = "The listening matcher's compiled core (see matcher.py).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__native(void) {
    for (int c = 0; c < 256; c++) {
        LOWER[c] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : (unsigned char)c;
        WORD[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    if (PyType_Ready(&IndexType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&IndexType);
    if (PyModule_AddObject(m, "Index", (PyObject *)&IndexType) < 0) {
        Py_DECREF(&IndexType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
