"""The result contract's JSON Schemas (docs/schema/*.schema.json), and
validation against them with messages that name the field.

Two documents, each with its own schema version: "sidecar" (the sidecar.json
dstudy_bench writes per cell) and "results" (a run folder's results.json; its
manifest is also manifest.json, its cells the cells/ records). The version
is defined once, in the schema (contract.py reads it from there).

Readers validate as the schema says: objects are open and fields added within
a version are optional, so a file of the same version from an older or newer
writer still reads. complete=True is for the writers' tests: every field the
schema lists is required (except those an object's "x-writer-may-omit"
names: a runner's manifest has no merge fields, and the like) and no other
field is allowed, so no writer (dstudy_bench, the runner, the test fixtures,
the fake bench) can drift from the schema unnoticed.
"""
import functools
import json

from . import REPO_ROOT

SCHEMA_DIR = REPO_ROOT / "docs" / "schema"
DOCUMENTS = ("sidecar", "results")


@functools.cache
def load(document):
    """The schema of a document ("sidecar" or "results"), as committed."""
    with open(SCHEMA_DIR / f"{document}.schema.json", encoding="utf-8") as f:
        return json.load(f)


def version(document):
    """The schema version a document of this kind carries."""
    return load(document)["properties"]["schema_version"]["const"]


def _is_object_schema(node):
    kind = node.get("type")
    return "properties" in node and (kind == "object" or isinstance(kind, list) and "object" in kind)


def _complete(node):
    """A copy of a schema (part) with every object schema closed and all of
    its listed properties required."""
    if isinstance(node, list):
        return [_complete(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: _complete(v) for k, v in node.items()}
    if _is_object_schema(node):
        omit = set(node.pop("x-writer-may-omit", []))
        node["required"] = [k for k, v in node["properties"].items() if v is not False and k not in omit]
        node.setdefault("additionalProperties", False)
    return node


@functools.cache
def validator(document, complete=False):
    """A function that raises fastjsonschema.JsonSchemaValueException at the
    first field that breaks the schema. fastjsonschema compiles the schema
    into Python: a 700-cell results.json validates in about 2 s on an idle
    machine, where jsonschema's interpreter takes about 15 s."""
    # imported here, not at the top: the tools that import contract.py (the
    # fake bench, once per cell) need no validator
    import fastjsonschema
    schemas = {f"{d}.schema.json": _complete(load(d)) if complete else load(d) for d in DOCUMENTS}
    return fastjsonschema.compile(schemas[f"{document}.schema.json"],
                                  handlers={"": lambda uri: schemas[uri]})


def _where(name, prefix):
    """The field path of a fastjsonschema error ('data.cells[3].sidecar')
    inside `prefix`; 'top level' for the document itself."""
    path = name[len("data"):]
    if prefix:
        return prefix + path
    return path.lstrip(".") or "top level"


def _what(error):
    """What is wrong, without the path fastjsonschema puts first, and with
    the value found (cut short) or the fields missing."""
    text = error.message[len(error.name):].strip()
    if error.rule == "const":
        text = f"must be {error.definition['const']!r}"
    if error.rule == "required":
        missing = [k for k in error.definition["required"] if k not in error.value]
        return f"lacks {', '.join(repr(k) for k in missing)}"
    if error.rule in ("type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "minLength", "pattern"):
        value = repr(error.value)
        text += f", got {value if len(value) <= 80 else value[:77] + '...'}"
    return text


def problem(doc, document, complete=False, prefix=""):
    """(where, what) of the first field of doc that breaks the schema of
    `document`, or None when doc conforms. `where` is the field's path
    ('cells[3].sidecar.throughput.headline'), prefix first."""
    from fastjsonschema import JsonSchemaValueException
    try:
        validator(document, complete)(doc)
    except JsonSchemaValueException as e:
        return _where(e.name, prefix), _what(e)
    return None


def check(doc, document, complete=False, name="document"):
    """Raises ValueError '<name>: <field path>: <what is wrong>' unless doc
    conforms (for tests and scripts that have no error type of their own)."""
    found = problem(doc, document, complete)
    if found:
        raise ValueError(f"{name}: {found[0]}: {found[1]}")
